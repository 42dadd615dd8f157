-- One row per posted goods-receipt line with its purchase-order line: the measured
-- supplier behaviour the policy replay draws from (lead time of each receipt, partial
-- deliveries as several receipts of one PO line, QC rejects), and the open orders at
-- the start of a replay window (ordered before it, received inside it).
with receipt_lines as (
    select * from {{ ref('int_goods_receipt_lines') }}
),

order_lines as (
    select document_line_id, qty
    from {{ ref('stg_oltp__document_line') }}
)

select
    receipt_lines.receipt_line_id,
    receipt_lines.purchase_order_line_id,
    receipt_lines.purchase_order_id,
    receipt_lines.supplier_id,
    receipt_lines.item_id,
    receipt_lines.warehouse_id,
    receipt_lines.order_date,
    receipt_lines.receipt_date,
    cast(receipt_lines.lead_time_days as integer) as lead_time_days,
    cast(row_number() over (
        partition by receipt_lines.purchase_order_line_id
        order by receipt_lines.receipt_date, receipt_lines.receipt_line_id
    ) as integer) as receipt_seq,
    cast(order_lines.qty as numeric(18, 4)) as ordered_qty,
    cast(receipt_lines.accepted_qty as numeric(18, 4)) as accepted_qty,
    cast(receipt_lines.rejected_qty as numeric(18, 4)) as rejected_qty
from receipt_lines
left join order_lines
    on receipt_lines.purchase_order_line_id = order_lines.document_line_id
