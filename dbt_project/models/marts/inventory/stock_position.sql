-- Stock position now, per item and real warehouse:
--   on_hand     = Σ stock ledger quantity
--   on_order    = approved purchase-order quantity not yet received (accepted), orders
--                 not closed
--   committed   = posted sales-order quantity not yet delivered, orders not closed
--   in_transit  = quantity dispatched by transfers to this warehouse, not yet received
--   available   = on_hand − committed
--   projected_available = on_hand + on_order + in_transit − committed
with purchase_orders as (
    select * from {{ ref('int_purchase_orders') }}
),

transfers as (
    select * from {{ ref('int_stock_transfers') }}
),

lines as (
    select * from {{ ref('stg_oltp__document_line') }}
),

warehouses as (
    select * from {{ ref('stg_oltp__warehouse') }}
),

on_hand as (
    select
        item_id,
        warehouse_id,
        sum(qty) as on_hand,
        sum(movement_value) as stock_value
    from {{ ref('stg_oltp__stock_ledger') }}
    group by item_id, warehouse_id
),

on_order as (
    select
        lines.item_id,
        purchase_orders.warehouse_id,
        sum(greatest(lines.qty - lines.received_qty, 0)) as on_order
    from purchase_orders
    inner join lines on purchase_orders.document_id = lines.document_id
    where purchase_orders.status = 'approved'
      and coalesce(purchase_orders.fulfilment_status, 'open') <> 'closed'
    group by lines.item_id, purchase_orders.warehouse_id
),

committed as (
    -- one definition of an open sales-order line: open_sales_order_lines
    select
        item_id,
        warehouse_id,
        sum(open_qty) as committed
    from {{ ref('open_sales_order_lines') }}
    group by item_id, warehouse_id
),

in_transit as (
    select
        lines.item_id,
        transfers.to_warehouse_id as warehouse_id,
        sum(lines.qty) as in_transit
    from transfers
    inner join lines on transfers.document_id = lines.document_id
    where transfers.status = 'posted'
      and transfers.transfer_state = 'in_transit'
    group by lines.item_id, transfers.to_warehouse_id
),

pairs as (
    select item_id, warehouse_id from on_hand
    union
    select item_id, warehouse_id from on_order
    union
    select item_id, warehouse_id from committed
    union
    select item_id, warehouse_id from in_transit
),

position as (
    select
        pairs.item_id,
        pairs.warehouse_id,
        coalesce(on_hand.on_hand, 0) as on_hand,
        coalesce(on_order.on_order, 0) as on_order,
        coalesce(committed.committed, 0) as committed_qty,
        coalesce(in_transit.in_transit, 0) as in_transit,
        coalesce(on_hand.stock_value, 0) as stock_value
    from pairs
    inner join warehouses on pairs.warehouse_id = warehouses.warehouse_id
    left join on_hand
        on pairs.item_id = on_hand.item_id and pairs.warehouse_id = on_hand.warehouse_id
    left join on_order
        on pairs.item_id = on_order.item_id and pairs.warehouse_id = on_order.warehouse_id
    left join committed
        on pairs.item_id = committed.item_id and pairs.warehouse_id = committed.warehouse_id
    left join in_transit
        on pairs.item_id = in_transit.item_id
        and pairs.warehouse_id = in_transit.warehouse_id
    where not warehouses.is_transit
)

select
    item_id,
    warehouse_id,
    {{ as_qty('on_hand') }} as on_hand,
    {{ as_qty('on_order') }} as on_order,
    {{ as_qty('committed_qty') }} as "committed",
    {{ as_qty('in_transit') }} as in_transit,
    {{ as_qty('on_hand - committed_qty') }} as available,
    {{ as_qty('on_hand + on_order + in_transit - committed_qty') }} as projected_available,
    {{ as_money('stock_value') }} as stock_value,
    {{ as_unit_cost(safe_divide('stock_value', 'on_hand')) }} as average_unit_cost
from position
