-- One row per purchase-order line, every status (draft, approved, cancelled) and origin
-- (manual, planning, mto): what the dashboards' late-PO list and planning's make-to-order
-- drafts read instead of the raw documents. open_qty = qty − received_qty (negative when
-- over-received); open_value = open_qty × unit price.
with orders as (
    select * from {{ ref('int_purchase_orders') }}
),

lines as (
    select * from {{ ref('stg_oltp__document_line') }}
)

select
    orders.document_id,
    orders.document_number,
    lines.document_line_id,
    lines.line_no,
    orders.status,
    orders.fulfilment_status,
    orders.origin,
    orders.supplier_id,
    orders.warehouse_id,
    orders.doc_date,
    orders.expected_date,
    lines.item_id,
    {{ as_qty('lines.qty') }} as qty,
    {{ as_qty('lines.received_qty') }} as received_qty,
    {{ as_unit_cost('lines.unit_price') }} as unit_price,
    {{ as_qty('lines.qty - lines.received_qty') }} as open_qty,
    {{ as_money('(lines.qty - lines.received_qty) * lines.unit_price') }} as open_value
from orders
inner join lines on orders.document_id = lines.document_id
