-- Journal lines with their entry's date and document, account type, and amounts signed
-- debit-positive. `is_document_posting` tells document postings from manual journals.
with lines as (
    select * from {{ ref('stg_oltp__journal_line') }}
),

entries as (
    select * from {{ ref('stg_oltp__journal_entry') }}
),

accounts as (
    select * from {{ ref('stg_oltp__account') }}
)

select
    lines.journal_line_id,
    lines.journal_entry_id,
    entries.document_id,
    entries.doc_type,
    entries.posting_date,
    {{ month_start('entries.posting_date') }} as month_start,
    entries.is_reversal,
    entries.doc_type <> 'journal_entry' as is_document_posting,
    lines.account_code,
    accounts.account_type,
    lines.debit,
    lines.credit,
    lines.debit - lines.credit as amount,
    lines.posting_rule,
    lines.customer_id,
    lines.supplier_id,
    lines.item_id,
    lines.warehouse_id
from lines
inner join entries on lines.journal_entry_id = entries.journal_entry_id
left join accounts on lines.account_code = accounts.account_code
