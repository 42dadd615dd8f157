{#- Date helpers over dbt's cross-database macros; every result is cast back to DATE
    (PostgreSQL's date_trunc and interval arithmetic return timestamps). -#}

{% macro month_start(column) -%}
    cast({{ dbt.date_trunc('month', column) }} as date)
{%- endmacro %}

{% macro month_end(column) -%}
    cast({{ dbt.last_day(column, 'month') }} as date)
{%- endmacro %}

{% macro week_start(column) -%}
    {#- ISO weeks: Monday on both engines -#}
    cast({{ dbt.date_trunc('week', column) }} as date)
{%- endmacro %}

{% macro add_days(column, days) -%}
    cast({{ dbt.dateadd('day', days, column) }} as date)
{%- endmacro %}

{% macro days_between(first_date, second_date) -%}
    {#- whole days from first_date to second_date (positive when second is later) -#}
    cast({{ dbt.datediff(first_date, second_date, 'day') }} as integer)
{%- endmacro %}
