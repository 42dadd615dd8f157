-- Journal lines with their entry's date and document, account type, and amounts signed
-- debit-positive. `is_document_posting` tells business documents' postings from manual
-- journals and year-end closing entries; `is_closing_entry` marks the year closes' entries
-- (the closing entry and its reversal), which the P&L reports leave out.
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
    entries.doc_type not in ('journal_entry', 'year_close') as is_document_posting,
    entries.doc_type = 'year_close' as is_closing_entry,
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
