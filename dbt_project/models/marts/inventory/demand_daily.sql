-- The daily demand history forecasting reads: every day from the item-warehouse's first
-- activity (order or stock movement) to the as-of date, zero-filled.
--   demand_qty  = ordered + lost (the demand, served or not)
--   is_stockout = on hand is 0 at day end, or demand was lost that day
-- Real warehouses only. promo is false: the OLTP records no promotions yet.
with demand as (
    select * from {{ ref('int_sales_demand_daily') }}
),

shipments as (
    select * from {{ ref('int_shipments_daily') }}
),

stock as (
    select * from {{ ref('fct_stock_daily') }}
),

calendar as (
    select date_day from {{ ref('int_calendar') }}
),

warehouses as (
    select * from {{ ref('stg_oltp__warehouse') }}
),

activity as (
    select item_id, warehouse_id, order_date as activity_date from demand
    union all
    select item_id, warehouse_id, "date" from stock
    where not is_transit
),

pairs as (
    select activity.item_id, activity.warehouse_id, min(activity.activity_date) as first_date
    from activity
    inner join warehouses on activity.warehouse_id = warehouses.warehouse_id
    where not warehouses.is_transit
    group by activity.item_id, activity.warehouse_id
),

grid as (
    select pairs.item_id, pairs.warehouse_id, calendar.date_day
    from pairs
    inner join calendar on pairs.first_date <= calendar.date_day
),

daily as (
    select
        grid.date_day,
        grid.item_id,
        grid.warehouse_id,
        coalesce(demand.demand_qty, 0) as demand_qty,
        coalesce(demand.ordered_qty, 0) as ordered_qty,
        coalesce(shipments.shipped_qty, 0) as shipped_qty,
        coalesce(demand.lost_qty, 0) as lost_qty,
        coalesce(demand.lost_revenue, 0) as lost_revenue,
        coalesce(stock.qty_on_hand, 0) as qty_on_hand
    from grid
    left join demand
        on grid.item_id = demand.item_id
        and grid.warehouse_id = demand.warehouse_id
        and grid.date_day = demand.order_date
    left join shipments
        on grid.item_id = shipments.item_id
        and grid.warehouse_id = shipments.warehouse_id
        and grid.date_day = shipments.ship_date
    left join stock
        on grid.item_id = stock.item_id
        and grid.warehouse_id = stock.warehouse_id
        and grid.date_day = stock."date"
)

select
    date_day as "date",
    item_id,
    warehouse_id,
    {{ as_qty('demand_qty') }} as demand_qty,
    {{ as_qty('ordered_qty') }} as ordered_qty,
    {{ as_qty('shipped_qty') }} as shipped_qty,
    {{ as_qty('lost_qty') }} as lost_qty,
    {{ as_money('lost_revenue') }} as lost_revenue,
    {{ as_qty('qty_on_hand') }} as qty_on_hand,
    (qty_on_hand <= 0 or lost_qty > 0) as is_stockout,
    false as promo
from daily
