-- Revenue by invoice line, net of credit notes (sales-return lines), signed by booking:
-- an invoice counts on its date, its cancellation takes it back on the cancel date.
-- The sum matches the journal's 4000 credits minus 4100 debits exactly.
with bookings as (
    select * from {{ ref('int_document_bookings') }}
    where doc_type in ('sales_invoice', 'sales_return')
),

documents as (
    select * from {{ ref('stg_oltp__document') }}
),

lines as (
    select * from {{ ref('stg_oltp__document_line') }}
),

signed as (
    select
        bookings.document_id,
        lines.document_line_id,
        bookings.doc_type,
        bookings.booking_date,
        {{ month_start('bookings.booking_date') }} as month_start,
        documents.customer_id,
        lines.item_id,
        -- a credit note's amounts reduce revenue
        bookings.sign * case when bookings.doc_type = 'sales_return' then -1 else 1 end
            as revenue_sign,
        bookings.sign as booking_sign,
        lines.qty,
        lines.net_amount
    from bookings
    inner join documents on bookings.document_id = documents.document_id
    inner join lines on bookings.document_id = lines.document_id
)

select
    document_id,
    document_line_id,
    doc_type,
    booking_date,
    month_start,
    customer_id,
    item_id,
    case when doc_type = 'sales_invoice' then booking_sign * qty else 0 end as qty_invoiced,
    case when doc_type = 'sales_return' then booking_sign * qty else 0 end as qty_returned,
    case when doc_type = 'sales_invoice' then booking_sign * net_amount else 0 end
        as revenue_invoiced,
    case when doc_type = 'sales_return' then booking_sign * net_amount else 0 end
        as revenue_credited,
    revenue_sign * net_amount as revenue
from signed
