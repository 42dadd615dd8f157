-- Stockout days, lost quantity and lost revenue (lost qty × order price) per month, item
-- and warehouse, from demand_daily.
with daily as (
    select * from {{ ref('demand_daily') }}
),

months as (
    select month_start, days_in_period from {{ ref('int_months') }}
),

monthly as (
    select
        {{ month_start('"date"') }} as month_start,
        item_id,
        warehouse_id,
        sum(case when is_stockout then 1 else 0 end) as stockout_days,
        count(*) as days_observed,
        sum(demand_qty) as demand_qty,
        sum(lost_qty) as lost_qty,
        sum(lost_revenue) as lost_revenue
    from daily
    group by {{ month_start('"date"') }}, item_id, warehouse_id
)

select
    monthly.month_start as "month",
    monthly.item_id,
    monthly.warehouse_id,
    cast(monthly.stockout_days as integer) as stockout_days,
    cast(monthly.days_observed as integer) as days_observed,
    {{ as_qty('monthly.demand_qty') }} as demand_qty,
    {{ as_qty('monthly.lost_qty') }} as lost_qty,
    {{ as_money('monthly.lost_revenue') }} as lost_revenue,
    {{ as_ratio(safe_divide('monthly.lost_qty', 'monthly.demand_qty')) }} as lost_share
from monthly
inner join months on monthly.month_start = months.month_start
