-- FIFO-layer approximation of the stock on hand, for ageing. The OLTP values stock at
-- moving average and keeps no layers, so this assumes stock leaves oldest-first: what
-- is on hand now is the newest incoming quantity (receipts, customer returns, transfer
-- arrivals, count surpluses, opening stock; documents later cancelled are ignored),
-- taken newest-first until the on-hand quantity is covered. Each layer's age is the
-- as-of date minus its posting date.
with ledger as (
    select * from {{ ref('stg_oltp__stock_ledger') }}
),

documents as (
    select document_id, status from {{ ref('stg_oltp__document') }}
),

warehouses as (
    select * from {{ ref('stg_oltp__warehouse') }}
),

period as (
    select as_of_date from {{ ref('int_reporting_period') }}
),

on_hand as (
    select
        item_id,
        warehouse_id,
        sum(qty) as qty_on_hand,
        sum(movement_value) as stock_value
    from ledger
    group by item_id, warehouse_id
),

incoming as (
    select
        ledger.stock_ledger_id,
        ledger.item_id,
        ledger.warehouse_id,
        ledger.posting_date,
        ledger.qty
    from ledger
    inner join documents on ledger.document_id = documents.document_id
    inner join warehouses on ledger.warehouse_id = warehouses.warehouse_id
    where ledger.qty > 0
      and not ledger.is_reversal
      and documents.status <> 'cancelled'
      and not warehouses.is_transit
),

newest_first as (
    select
        incoming.*,
        sum(incoming.qty) over (
            partition by incoming.item_id, incoming.warehouse_id
            order by incoming.posting_date desc, incoming.stock_ledger_id desc
            rows between unbounded preceding and current row
        ) as qty_through_layer
    from incoming
)

select
    newest_first.stock_ledger_id,
    newest_first.item_id,
    newest_first.warehouse_id,
    newest_first.posting_date as layer_date,
    {{ days_between('newest_first.posting_date', 'period.as_of_date') }} as age_days,
    -- the part of this layer still on hand under FIFO
    {{ as_qty('greatest(least(newest_first.qty, on_hand.qty_on_hand'
              ' - (newest_first.qty_through_layer - newest_first.qty)), 0)') }}
        as qty_remaining
from newest_first
inner join on_hand
    on newest_first.item_id = on_hand.item_id
    and newest_first.warehouse_id = on_hand.warehouse_id
cross join period
where on_hand.qty_on_hand > 0
