-- Open items as of every month end (and the as-of date), from fct_open_item_movements:
-- Σ per customer = its GL 1100 balance then, Σ per supplier = its GL 2000 balance (credit
-- − debit), from the raw journal. Ageing as of a past date is only right if this holds.
with days as (
    select period_end as as_of_date from {{ ref('int_months') }}
),

journal as (
    select
        lines.account_code,
        lines.customer_id,
        lines.supplier_id,
        lines.debit,
        lines.credit,
        entries.posting_date
    from {{ source('oltp', 'journal_line') }} as lines
    inner join {{ source('oltp', 'journal_entry') }} as entries
        on lines.entry_id = entries.id
    where lines.account_code in ('1100', '2000')
),

gl as (
    select
        days.as_of_date,
        case when journal.account_code = '1100' then 'customer' else 'supplier' end
            as party_kind,
        case when journal.account_code = '1100' then journal.customer_id
             else journal.supplier_id end as party_id,
        sum(case when journal.account_code = '1100' then journal.debit - journal.credit
                 else journal.credit - journal.debit end) as gl_balance
    from days
    inner join journal on days.as_of_date >= journal.posting_date
    group by 1, 2, 3
),

items as (
    select
        days.as_of_date,
        movements.party_kind,
        coalesce(movements.customer_id, movements.supplier_id) as party_id,
        sum(movements.amount) as open_amount
    from days
    inner join {{ ref('fct_open_item_movements') }} as movements
        on days.as_of_date >= movements.movement_date
    group by 1, 2, 3
)

select
    coalesce(gl.as_of_date, items.as_of_date) as as_of_date,
    coalesce(gl.party_kind, items.party_kind) as party_kind,
    coalesce(gl.party_id, items.party_id) as party_id,
    gl.gl_balance,
    items.open_amount
from gl
full outer join items
    on gl.as_of_date = items.as_of_date
    and gl.party_kind = items.party_kind
    and gl.party_id = items.party_id
where coalesce(gl.gl_balance, 0) <> coalesce(items.open_amount, 0)
