-- Goods receipt lines of posted (not cancelled) receipts with their purchase order:
-- the raw material of supplier performance. Lead time = receipt date − PO date.
with lines as (
    select * from {{ ref('stg_oltp__document_line') }}
),

receipts as (
    select * from {{ ref('int_goods_receipts') }}
    where status = 'posted'
),

orders as (
    select * from {{ ref('int_purchase_orders') }}
)

select
    receipts.document_id as receipt_id,
    lines.document_line_id as receipt_line_id,
    orders.document_id as purchase_order_id,
    lines.source_line_id as purchase_order_line_id,
    receipts.supplier_id,
    lines.item_id,
    receipts.warehouse_id,
    orders.doc_date as order_date,
    orders.expected_date,
    receipts.doc_date as receipt_date,
    {{ days_between('orders.doc_date', 'receipts.doc_date') }} as lead_time_days,
    receipts.doc_date <= coalesce(orders.expected_date, receipts.doc_date) as is_on_time,
    lines.qty as accepted_qty,
    lines.rejected_qty,
    lines.unit_price
from receipts
inner join lines on receipts.document_id = lines.document_id
inner join orders on receipts.source_document_id = orders.document_id
