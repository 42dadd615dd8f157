-- Open items of customers and suppliers as of now: posted invoices/bills net of what is
-- paid on them, and the credits that reduce the party's balance — credit notes (sales
-- returns), debit notes (purchase returns) and the unallocated part of payments. Every
-- posted document's `party_balance_effect` is split into what is still open here, so
-- the open items of a party sum to its control-account balance (1100 / 2000).
with documents as (
    select * from {{ ref('stg_oltp__document') }}
    where status = 'posted'
      and party_balance_effect <> 0
),

allocations as (
    select
        document_id,
        sum(net_amount) as allocated_amount
    from {{ ref('stg_oltp__document_line') }}
    where allocated_document_id is not null
    group by document_id
),

items as (
    select
        documents.document_id,
        documents.document_number,
        documents.doc_type,
        case
            when documents.doc_type in ('sales_invoice', 'sales_return', 'customer_payment')
                then 'customer'
            else 'supplier'
        end as party_kind,
        documents.customer_id,
        documents.supplier_id,
        case
            when documents.doc_type = 'sales_invoice' then 'invoice'
            when documents.doc_type = 'supplier_bill' then 'bill'
            when documents.doc_type = 'sales_return' then 'credit_note'
            when documents.doc_type = 'purchase_return' then 'debit_note'
            else 'unallocated_payment'
        end as item_kind,
        documents.doc_date,
        -- credits are "due" when issued: they age from their own date
        case
            when documents.doc_type in ('sales_invoice', 'supplier_bill')
                then coalesce(documents.due_date, documents.doc_date)
            else documents.doc_date
        end as due_date,
        {{ as_money('documents.party_balance_effect - documents.paid_amount'
                    ' + coalesce(allocations.allocated_amount, 0)') }} as open_amount
    from documents
    left join allocations on documents.document_id = allocations.document_id
)

select * from items
where open_amount <> 0
