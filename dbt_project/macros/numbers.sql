{#- The warehouse's number types, one place: money to the cent, quantities to 4
    decimals, unit costs to 6 (as the OLTP), ratios to 6. Casting the final columns of
    every mart makes the types identical on DuckDB and PostgreSQL (contracts check them). -#}

{% macro as_money(expr) -%} cast({{ expr }} as numeric(18,2)) {%- endmacro %}
{% macro as_qty(expr) -%} cast({{ expr }} as numeric(18,4)) {%- endmacro %}
{% macro as_unit_cost(expr) -%} cast({{ expr }} as numeric(18,6)) {%- endmacro %}
{% macro as_ratio(expr) -%} cast({{ expr }} as numeric(18,6)) {%- endmacro %}

{% macro safe_divide(numerator, denominator) -%}
    {#- null when the denominator is zero or null; numeric on both engines -#}
    (cast({{ numerator }} as numeric(38,10))
     / nullif(cast({{ denominator }} as numeric(38,10)), 0))
{%- endmacro %}
