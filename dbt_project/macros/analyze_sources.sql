{#- on-run-start: PostgreSQL plans joins from table statistics, and a freshly loaded raw
    schema has none (autovacuum gets there minutes later): analyze the source tables
    first, or a few joins turn into nested loops over "1-row" tables. DuckDB needs
    nothing. -#}
{% macro analyze_sources() %}
    {%- if target.type == 'postgres' and execute -%}
        {%- for node in graph.sources.values() -%}
            analyze {{ source(node.source_name, node.name) }};
        {% endfor -%}
    {%- endif -%}
{% endmacro %}
