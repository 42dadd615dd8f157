-- Turnover by category and warehouse: COGS and day-end inventory values add up across
-- items (same days in period), then the ratios are taken on the sums — never averaged.
with by_item as (
    select * from {{ ref('inventory_turnover_monthly') }}
),

summed as (
    select
        "month",
        category,
        warehouse_id,
        max(days_in_period) as days_in_period,
        sum(cogs) as cogs,
        sum(inventory_value_days) as value_days,
        sum(closing_stock_value) as closing_stock_value
    from by_item
    group by "month", category, warehouse_id
)

select
    "month",
    category,
    warehouse_id,
    days_in_period,
    {{ as_money('cogs') }} as cogs,
    {{ as_money(safe_divide('value_days', 'days_in_period')) }} as avg_inventory_value,
    {{ as_ratio(safe_divide('cogs * days_in_period', 'value_days')) }} as turnover,
    case
        when cogs > 0
            then cast({{ safe_divide('value_days', 'cogs') }} as numeric(18, 2))
    end as days_of_inventory,
    {{ as_money('closing_stock_value') }} as closing_stock_value
from summed
