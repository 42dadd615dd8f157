{#- A model's row rules in one scan (staging views and intermediate tables; the marts'
    row rules are constraints of their contracts): a row fails when a `not_null` column is
    null, an `accepted_values` column holds a value not listed (null passes, as in dbt's
    accepted_values), or an `expressions` entry is false or null. Each failing row names
    the first rule it breaks in `rule`. One test node instead of one per rule: dbt's own
    cost per node (~30 ms) is most of a refresh's test time (docs/marts.md). -#}
{% test row_rules(model, not_null=[], accepted_values={}, expressions=[]) %}
select rule
from (
    select
        case
        {%- for column in not_null %}
            when {{ column }} is null then 'not_null: {{ column }}'
        {%- endfor %}
        {%- for column, values in accepted_values.items() %}
            when {{ column }} not in (
                {%- for v in values -%}
                {%- if v is string %}'{{ v }}'{% else %}{{ v }}{% endif %}{{ ", " if not loop.last }}
                {%- endfor -%}
            ) then 'accepted_values: {{ column }}'
        {%- endfor %}
        {%- for expression in expressions %}
            when not coalesce({{ expression }}, false) then 'expression: {{ expression | replace("'", "''") }}'
        {%- endfor %}
        end as rule
    from {{ model }}
) as checked
where rule is not null
{% endtest %}
