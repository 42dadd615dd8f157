-- Sales invoices and sales returns (credit notes), one row per document header, every
-- status: the returns tab of the sales page lists the posted returns and sets their net
-- total against the posted invoices of the same period.
with documents as (
    select * from {{ ref('int_sales_invoices') }}
    union all
    select * from {{ ref('int_sales_returns') }}
)

select
    document_id,
    cast(document_number as text) as document_number,
    cast(doc_type as text) as doc_type,
    cast(status as text) as status,
    doc_date,
    customer_id,
    {{ as_money('net_total') }} as net_total
from documents
