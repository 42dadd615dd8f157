-- The daily stock mart ends every item-warehouse at the OLTP's own balance (raw
-- stock_balance, the cache the posting kernel keeps).
with last_day as (
    select daily.item_id, daily.warehouse_id, daily.qty_on_hand, daily.stock_value
    from {{ ref('fct_stock_daily') }} as daily
    inner join {{ ref('int_reporting_period') }} as period
        on daily."date" = period.as_of_date
)

select
    coalesce(last_day.item_id, balances.item_id) as item_id,
    coalesce(last_day.warehouse_id, balances.warehouse_id) as warehouse_id,
    last_day.qty_on_hand,
    balances.qty as balance_qty,
    last_day.stock_value,
    balances.value as balance_value
from last_day
full outer join {{ source('oltp', 'stock_balance') }} as balances
    on last_day.item_id = balances.item_id
    and last_day.warehouse_id = balances.warehouse_id
where coalesce(last_day.qty_on_hand, 0) <> coalesce(balances.qty, 0)
   or coalesce(last_day.stock_value, 0) <> coalesce(balances.value, 0)
