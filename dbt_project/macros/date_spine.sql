{#- One row per day (`date_day`) from start_date to end_date inclusive, where both are SQL
    expressions over the single-row relation `bounds` (a CTE with the bounds as columns).
    DuckDB and PostgreSQL have generate_series; the default fans out digits so any
    ANSI engine works (up to 100,000 days). -#}
{% macro date_spine(bounds, start_date, end_date) -%}
    {{ return(adapter.dispatch('date_spine')(bounds, start_date, end_date)) }}
{%- endmacro %}

{% macro duckdb__date_spine(bounds, start_date, end_date) -%}
    select cast(spine.day_ts as date) as date_day
    from (
        select unnest(generate_series(cast({{ start_date }} as timestamp),
                                      cast({{ end_date }} as timestamp),
                                      interval 1 day)) as day_ts
        from {{ bounds }}
    ) as spine
{%- endmacro %}

{% macro postgres__date_spine(bounds, start_date, end_date) -%}
    select cast(spine.day_ts as date) as date_day
    from {{ bounds }}
    cross join lateral generate_series(cast({{ start_date }} as timestamp),
                                       cast({{ end_date }} as timestamp),
                                       interval '1 day') as spine(day_ts)
{%- endmacro %}

{% macro default__date_spine(bounds, start_date, end_date) -%}
    with digits as (
        select 0 as d union all select 1 union all select 2 union all select 3
        union all select 4 union all select 5 union all select 6 union all select 7
        union all select 8 union all select 9
    ),
    numbers as (
        select a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d as n
        from digits as a cross join digits as b cross join digits as c
        cross join digits as e cross join digits as f
    )
    select {{ add_days(start_date, 'numbers.n') }} as date_day
    from {{ bounds }} cross join numbers
    where numbers.n <= {{ days_between(start_date, end_date) }}
{%- endmacro %}
