-- Stock on hand and its value at the end of every day, per item and warehouse, from the
-- item-warehouse's first movement to the as-of date (days without movements carry the
-- balance forward). The in-transit warehouse is included: Σ stock_value on a day =
-- GL 1200 + 1210 at that day's end.
with movements as (
    select * from {{ ref('int_stock_movements_daily') }}
),

calendar as (
    select date_day from {{ ref('int_calendar') }}
),

warehouses as (
    select warehouse_id, is_transit from {{ ref('stg_oltp__warehouse') }}
),

pairs as (
    select item_id, warehouse_id, min(posting_date) as first_movement_date
    from movements
    group by item_id, warehouse_id
),

grid as (
    select
        pairs.item_id,
        pairs.warehouse_id,
        calendar.date_day
    from pairs
    inner join calendar on pairs.first_movement_date <= calendar.date_day
),

daily as (
    select
        grid.item_id,
        grid.warehouse_id,
        grid.date_day,
        coalesce(movements.qty_in, 0) as qty_in,
        coalesce(movements.qty_out, 0) as qty_out,
        sum(coalesce(movements.qty_change, 0)) over (
            partition by grid.item_id, grid.warehouse_id order by grid.date_day
            rows between unbounded preceding and current row
        ) as qty_on_hand,
        sum(coalesce(movements.value_change, 0)) over (
            partition by grid.item_id, grid.warehouse_id order by grid.date_day
            rows between unbounded preceding and current row
        ) as stock_value
    from grid
    left join movements
        on grid.item_id = movements.item_id
        and grid.warehouse_id = movements.warehouse_id
        and grid.date_day = movements.posting_date
)

select
    daily.date_day as "date",
    {{ month_start('daily.date_day') }} as "month",
    daily.item_id,
    daily.warehouse_id,
    warehouses.is_transit,
    {{ as_qty('daily.qty_in') }} as qty_in,
    {{ as_qty('daily.qty_out') }} as qty_out,
    {{ as_qty('daily.qty_on_hand') }} as qty_on_hand,
    {{ as_money('daily.stock_value') }} as stock_value
from daily
inner join warehouses on daily.warehouse_id = warehouses.warehouse_id
