-- Invariant 3: AR ageing per customer = its GL 1100 balance (debit − credit) and AP
-- ageing per supplier = its GL 2000 balance (credit − debit), from the raw journal.
with gl as (
    select
        case when account_code = '1100' then 'customer' else 'supplier' end as party_kind,
        case when account_code = '1100' then customer_id else supplier_id end as party_id,
        sum(case when account_code = '1100' then debit - credit else credit - debit end)
            as gl_balance
    from {{ source('oltp', 'journal_line') }}
    where account_code in ('1100', '2000')
    group by 1, 2
),

ageing as (
    select 'customer' as party_kind, customer_id as party_id, sum(open_amount) as open_amount
    from {{ ref('ar_ageing') }}
    group by customer_id
    union all
    select 'supplier', supplier_id, sum(open_amount)
    from {{ ref('ap_ageing') }}
    group by supplier_id
)

select
    coalesce(gl.party_kind, ageing.party_kind) as party_kind,
    coalesce(gl.party_id, ageing.party_id) as party_id,
    gl.gl_balance,
    ageing.open_amount
from gl
full outer join ageing
    on gl.party_kind = ageing.party_kind
    and gl.party_id = ageing.party_id
where coalesce(gl.gl_balance, 0) <> coalesce(ageing.open_amount, 0)
