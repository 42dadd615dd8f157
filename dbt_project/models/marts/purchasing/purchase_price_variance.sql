-- Purchase price variance per month, supplier and item: the journal's 5100 postings of
-- supplier bills (bill price − PO price, × qty) and purchase returns (moving-average
-- cost − receipt price), positive = paid more than ordered. billed_* from bill lines,
-- on the bill date (cancellations on the cancel date).
with ppv as (
    select
        month_start,
        supplier_id,
        item_id,
        sum(case when doc_type = 'supplier_bill' then amount else 0 end) as ppv_billing,
        sum(case when doc_type = 'purchase_return' then amount else 0 end) as ppv_returns,
        sum(amount) as ppv
    from {{ ref('int_gl_lines') }}
    where account_code = '5100'
      and is_document_posting
    group by month_start, supplier_id, item_id
),

bills as (
    select
        {{ month_start('bookings.booking_date') }} as month_start,
        documents.supplier_id,
        lines.item_id,
        sum(bookings.sign * lines.qty) as billed_qty,
        sum(bookings.sign * lines.net_amount) as billed_amount,
        sum(bookings.sign * lines.qty * lines.unit_cost) as po_price_amount
    from {{ ref('int_document_bookings') }} as bookings
    inner join {{ ref('stg_oltp__document') }} as documents
        on bookings.document_id = documents.document_id
    inner join {{ ref('stg_oltp__document_line') }} as lines
        on bookings.document_id = lines.document_id
    where bookings.doc_type = 'supplier_bill'
    group by {{ month_start('bookings.booking_date') }}, documents.supplier_id, lines.item_id
),

keys as (
    select month_start, supplier_id, item_id from ppv
    union
    select month_start, supplier_id, item_id from bills
)

select
    keys.month_start as "month",
    keys.supplier_id,
    keys.item_id,
    {{ as_qty('coalesce(bills.billed_qty, 0)') }} as billed_qty,
    {{ as_money('coalesce(bills.billed_amount, 0)') }} as billed_amount,
    {{ as_money('coalesce(bills.po_price_amount, 0)') }} as po_price_amount,
    {{ as_money('coalesce(ppv.ppv_billing, 0)') }} as ppv_billing,
    {{ as_money('coalesce(ppv.ppv_returns, 0)') }} as ppv_returns,
    {{ as_money('coalesce(ppv.ppv, 0)') }} as ppv,
    {{ as_ratio(safe_divide('coalesce(ppv.ppv_billing, 0)', 'bills.po_price_amount')) }}
        as ppv_pct
from keys
left join ppv
    on keys.month_start = ppv.month_start
    and keys.supplier_id = ppv.supplier_id
    and keys.item_id = ppv.item_id
left join bills
    on keys.month_start = bills.month_start
    and keys.supplier_id = bills.supplier_id
    and keys.item_id = bills.item_id
