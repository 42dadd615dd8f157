-- The stock ledger, one row per movement, with the number of the document that posted
-- it: the movement detail of the inventory page's item drill-down.
with ledger as (
    select * from {{ ref('stg_oltp__stock_ledger') }}
),

documents as (
    select document_id, document_number from {{ ref('stg_oltp__document') }}
)

select
    ledger.stock_ledger_id,
    ledger.posting_date,
    ledger.document_id,
    cast(documents.document_number as text) as document_number,
    cast(ledger.doc_type as text) as doc_type,
    ledger.item_id,
    ledger.warehouse_id,
    {{ as_qty('ledger.qty') }} as qty,
    {{ as_unit_cost('ledger.unit_cost') }} as unit_cost,
    {{ as_money('ledger.movement_value') }} as movement_value,
    {{ as_qty('ledger.running_qty') }} as running_qty,
    {{ as_money('ledger.running_value') }} as running_value,
    ledger.is_reversal
from ledger
left join documents on ledger.document_id = documents.document_id
