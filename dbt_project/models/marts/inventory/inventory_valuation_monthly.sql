-- Stock valuation at every month end, in real warehouses and in transit, next to the
-- general ledger (1200, 1210): the inventory reconciliation in one table.
with stock as (
    select * from {{ ref('fct_stock_daily') }}
),

months as (
    select month_start, month_end, period_end from {{ ref('int_months') }}
),

balances as (
    select * from {{ ref('int_account_balances_monthly') }}
),

valuation as (
    select
        months.month_end,
        sum(case when not stock.is_transit then stock.stock_value else 0 end)
            as warehouse_value,
        sum(case when stock.is_transit then stock.stock_value else 0 end) as in_transit_value
    from months
    left join stock on months.period_end = stock."date"
    group by months.month_end
),

gl as (
    select
        month_end,
        sum(case when account_code = '1200' then balance else 0 end) as gl_inventory,
        sum(case when account_code = '1210' then balance else 0 end) as gl_in_transit
    from balances
    group by month_end
)

select
    valuation.month_end,
    {{ as_money('coalesce(valuation.warehouse_value, 0)') }} as warehouse_value,
    {{ as_money('coalesce(valuation.in_transit_value, 0)') }} as in_transit_value,
    {{ as_money('coalesce(valuation.warehouse_value, 0)'
                ~ ' + coalesce(valuation.in_transit_value, 0)') }} as stock_value,
    {{ as_money('gl.gl_inventory') }} as gl_inventory,
    {{ as_money('gl.gl_in_transit') }} as gl_in_transit,
    {{ as_money('gl.gl_inventory + gl.gl_in_transit') }} as gl_value,
    {{ as_money('coalesce(valuation.warehouse_value, 0)'
                ~ ' + coalesce(valuation.in_transit_value, 0)'
                ~ ' - gl.gl_inventory - gl.gl_in_transit') }} as difference
from valuation
inner join gl on valuation.month_end = gl.month_end
