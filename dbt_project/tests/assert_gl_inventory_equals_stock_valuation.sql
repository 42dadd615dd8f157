-- Invariant 2 at every month end: GL 1200 = stock value in real
-- warehouses and GL 1210 = stock value in transit, read straight from the raw journal
-- and the daily stock mart. Returns the month ends where they differ.
with months as (
    select month_end, period_end from {{ ref('int_months') }}
),

monthly_gl as (
    select
        {{ month_end('entries.posting_date') }} as month_end,
        sum(case when lines.account_code = '1200' then lines.debit - lines.credit else 0 end)
            as inventory_change,
        sum(case when lines.account_code = '1210' then lines.debit - lines.credit else 0 end)
            as in_transit_change
    from {{ source('oltp', 'journal_line') }} as lines
    inner join {{ source('oltp', 'journal_entry') }} as entries on lines.entry_id = entries.id
    where lines.account_code in ('1200', '1210')
    group by {{ month_end('entries.posting_date') }}
),

gl as (
    select
        months.month_end,
        sum(coalesce(monthly_gl.inventory_change, 0)) over (
            order by months.month_end rows between unbounded preceding and current row
        ) as gl_inventory,
        sum(coalesce(monthly_gl.in_transit_change, 0)) over (
            order by months.month_end rows between unbounded preceding and current row
        ) as gl_in_transit
    from months
    left join monthly_gl on months.month_end = monthly_gl.month_end
),

stock as (
    select
        months.month_end,
        sum(case when not daily.is_transit then daily.stock_value else 0 end) as warehouse_value,
        sum(case when daily.is_transit then daily.stock_value else 0 end) as in_transit_value
    from months
    left join {{ ref('fct_stock_daily') }} as daily on daily."date" = months.period_end
    group by months.month_end
)

select
    gl.month_end,
    gl.gl_inventory,
    stock.warehouse_value,
    gl.gl_in_transit,
    stock.in_transit_value
from gl
inner join stock on gl.month_end = stock.month_end
where coalesce(gl.gl_inventory, 0) <> coalesce(stock.warehouse_value, 0)
   or coalesce(gl.gl_in_transit, 0) <> coalesce(stock.in_transit_value, 0)
