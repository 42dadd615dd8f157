-- Cost of goods sold from the journal (account 5000) as documents post it: deliveries
-- debit it at moving-average cost, sales returns credit it back; both carry the item,
-- warehouse and customer. Manual journals to 5000 have no item and stay out of the
-- item-level marts (the income statement has them).
select
    journal_line_id,
    document_id,
    doc_type,
    posting_date,
    month_start,
    item_id,
    warehouse_id,
    customer_id,
    amount as cogs
from {{ ref('int_gl_lines') }}
where account_code = '5000'
  and is_document_posting
