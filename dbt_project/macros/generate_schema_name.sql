{#- Custom schemas are used as-is (marts land in `marts`, not `<target>_marts`), so
    readers find `marts.<name>` on DuckDB and on PostgreSQL alike. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
