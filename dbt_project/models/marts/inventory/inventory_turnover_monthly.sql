-- Inventory turnover and days of inventory per month, item and (real) warehouse.
--   cogs                = COGS of the month (journal 5000 from deliveries minus returns)
--   avg_inventory_value = Σ day-end stock value over the days of the period ÷ days in
--                         period (days before the item's first movement count as 0)
--   turnover            = cogs ÷ avg_inventory_value
--   days_of_inventory   = days_in_period ÷ turnover = avg_inventory_value ÷ (cogs / day)
-- A month's period is the part of it inside the reporting period (the first and the
-- current month are partial).
with stock as (
    select * from {{ ref('fct_stock_daily') }}
    where not is_transit
),

months as (
    select * from {{ ref('int_months') }}
),

items as (
    select item_id, category from {{ ref('stg_oltp__item') }}
),

cogs as (
    select
        month_start,
        item_id,
        warehouse_id,
        sum(cogs) as cogs
    from {{ ref('int_cogs_lines') }}
    group by month_start, item_id, warehouse_id
),

stock_months as (
    select
        "month" as month_start,
        item_id,
        warehouse_id,
        sum(stock_value) as value_days,
        max("date") as last_day_in_data
    from stock
    group by "month", item_id, warehouse_id
),

closing as (
    select
        stock_months.*,
        stock.stock_value as closing_stock_value,
        stock.qty_on_hand as closing_qty_on_hand
    from stock_months
    inner join stock
        on stock_months.item_id = stock.item_id
        and stock_months.warehouse_id = stock.warehouse_id
        and stock_months.last_day_in_data = stock."date"
),

combined as (
    select
        closing.month_start,
        closing.item_id,
        closing.warehouse_id,
        months.days_in_period,
        coalesce(cogs.cogs, 0) as cogs,
        closing.value_days,
        closing.closing_stock_value,
        closing.closing_qty_on_hand
    from closing
    inner join months on closing.month_start = months.month_start
    left join cogs
        on closing.month_start = cogs.month_start
        and closing.item_id = cogs.item_id
        and closing.warehouse_id = cogs.warehouse_id
)

select
    combined.month_start as "month",
    combined.item_id,
    items.category,
    combined.warehouse_id,
    combined.days_in_period,
    {{ as_money('combined.cogs') }} as cogs,
    {{ as_money(safe_divide('combined.value_days', 'combined.days_in_period')) }}
        as avg_inventory_value,
    {{ as_ratio(safe_divide('combined.cogs * combined.days_in_period', 'combined.value_days')) }}
        as turnover,
    case
        when combined.cogs > 0
            then cast({{ safe_divide('combined.value_days', 'combined.cogs') }} as numeric(18, 2))
    end as days_of_inventory,
    {{ as_money('combined.value_days') }} as inventory_value_days,
    {{ as_money('combined.closing_stock_value') }} as closing_stock_value,
    {{ as_qty('combined.closing_qty_on_hand') }} as closing_qty_on_hand
from combined
inner join items on combined.item_id = items.item_id
