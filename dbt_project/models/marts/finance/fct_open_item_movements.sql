-- Every dated change of a customer's or supplier's open items, so that the open items —
-- and their ageing — are exact as of any date: Σ amount of an item's rows dated up to a
-- day is what was open on it at that day's end.
--   issued               a posted invoice, bill, credit or debit note, or payment opens
--                        at its document date with its effect on the party's balance
--   settled / allocated  each allocation line of a payment moves its amount from the
--                        item it settles to the payment (what is left of a payment is
--                        its unallocated part), at the payment's date
--   cancelled, settlement_cancelled, allocation_cancelled
--                        a cancellation takes the document's own effect and its
--                        allocations back at its cancel date
-- Σ of a customer's rows up to a day = its GL 1100 balance then; a supplier's = its
-- GL 2000 balance (credit − debit).
with documents as (
    select * from {{ ref('stg_oltp__document') }}
    where status in ('posted', 'cancelled')
      and party_balance_effect <> 0
),

allocations as (
    select
        payments.document_id as payment_id,
        payments.doc_date,
        payments.cancel_date,
        lines.document_line_id,
        lines.allocated_document_id,
        lines.net_amount
    from {{ ref('stg_oltp__document_line') }} as lines
    inner join documents as payments on lines.document_id = payments.document_id
    where lines.allocated_document_id is not null
),

movements as (
    select
        document_id as item_id,
        'issued' as movement_kind,
        doc_date as movement_date,
        document_id as source_document_id,
        cast(null as integer) as source_line_id,
        party_balance_effect as amount
    from documents
    union all
    select
        document_id as item_id,
        'cancelled' as movement_kind,
        cancel_date as movement_date,
        document_id as source_document_id,
        null as source_line_id,
        -party_balance_effect as amount
    from documents
    where status = 'cancelled'
    union all
    select
        allocated_document_id as item_id,
        'settled' as movement_kind,
        doc_date as movement_date,
        payment_id as source_document_id,
        document_line_id as source_line_id,
        -net_amount as amount
    from allocations
    union all
    select
        payment_id as item_id,
        'allocated' as movement_kind,
        doc_date as movement_date,
        payment_id as source_document_id,
        document_line_id as source_line_id,
        net_amount as amount
    from allocations
    union all
    select
        allocated_document_id as item_id,
        'settlement_cancelled' as movement_kind,
        cancel_date as movement_date,
        payment_id as source_document_id,
        document_line_id as source_line_id,
        net_amount as amount
    from allocations
    where cancel_date is not null
    union all
    select
        payment_id as item_id,
        'allocation_cancelled' as movement_kind,
        cancel_date as movement_date,
        payment_id as source_document_id,
        document_line_id as source_line_id,
        -net_amount as amount
    from allocations
    where cancel_date is not null
)

select
    movements.item_id as document_id,
    cast(items.document_number as text) as number,
    cast(items.doc_type as text) as doc_type,
    cast(case
        when items.doc_type = 'sales_invoice' then 'invoice'
        when items.doc_type = 'supplier_bill' then 'bill'
        when items.doc_type = 'sales_return' then 'credit_note'
        when items.doc_type = 'purchase_return' then 'debit_note'
        else 'unallocated_payment'
    end as text) as item_kind,
    cast(case
        when items.doc_type in ('sales_invoice', 'sales_return', 'customer_payment')
            then 'customer'
        else 'supplier'
    end as text) as party_kind,
    items.customer_id,
    items.supplier_id,
    items.doc_date,
    -- credits are "due" when issued: they age from their own date
    case
        when items.doc_type in ('sales_invoice', 'supplier_bill')
            then coalesce(items.due_date, items.doc_date)
        else items.doc_date
    end as due_date,
    movements.movement_date,
    cast(movements.movement_kind as text) as movement_kind,
    movements.source_document_id,
    movements.source_line_id,
    -- receivables debit-positive (1100), payables credit-positive (2000), as the items'
    -- party_balance_effect
    {{ as_money('movements.amount') }} as amount
from movements
inner join documents as items on movements.item_id = items.document_id
