-- Open sales-order lines now: posted sales orders not closed, lines with quantity still
-- to deliver (open_qty = qty − delivered_qty > 0). Σ open_qty per item-warehouse equals
-- stock_position.committed. Planning reads it to name the orders that stock and open
-- supply cannot cover (docs/planning.md, "Make-to-order needs"), oldest first.
with documents as (
    select * from {{ ref('int_sales_orders') }}
),

lines as (
    select * from {{ ref('stg_oltp__document_line') }}
),

open_lines as (
    select
        documents.document_id,
        documents.document_number,
        lines.document_line_id,
        lines.line_no,
        documents.doc_date as order_date,
        documents.expected_date,
        documents.customer_id,
        lines.item_id,
        documents.warehouse_id,
        lines.qty,
        lines.delivered_qty,
        lines.qty - lines.delivered_qty as open_qty
    from documents
    inner join lines on documents.document_id = lines.document_id
    where documents.status = 'posted'
      and coalesce(documents.fulfilment_status, 'open') <> 'closed'
      and lines.qty > lines.delivered_qty
)

select
    document_id,
    document_number,
    document_line_id,
    line_no,
    order_date,
    expected_date,
    customer_id,
    item_id,
    warehouse_id,
    {{ as_qty('qty') }} as qty,
    {{ as_qty('delivered_qty') }} as delivered_qty,
    {{ as_qty('open_qty') }} as open_qty
from open_lines
