-- General-ledger movements per account and posting day: a balance at any date is the
-- cumulative sum of net_amount up to that date, a period's movement the sum over its
-- days (dashboards/statements.py builds every statement at any date from this).
--   year_close_amount  the part booked by year-end closing documents (doc_type
--                      'year_close'): income-statement figures leave it out, balances
--                      keep it
--   cash_entry_amount  the part booked by journal entries that move a cash account
--                      (var('cash_account_codes')): the direct cash-flow method
--                      classifies these counter-postings
{% set cash_accounts = var('cash_account_codes') %}
with gl as (
    select * from {{ ref('int_gl_lines') }}
),

cash_entries as (
    select distinct journal_entry_id
    from gl
    where account_code in ('{{ cash_accounts | join("', '") }}')
),

lines as (
    select
        gl.posting_date,
        gl.account_code,
        gl.debit,
        gl.credit,
        gl.amount,
        case when gl.doc_type = 'year_close' then gl.amount else 0 end as year_close_amount,
        case when cash_entries.journal_entry_id is not null then gl.amount else 0 end
            as cash_entry_amount
    from gl
    left join cash_entries on gl.journal_entry_id = cash_entries.journal_entry_id
)

select
    posting_date,
    cast(account_code as text) as account_code,
    {{ as_money('sum(debit)') }} as debit,
    {{ as_money('sum(credit)') }} as credit,
    {{ as_money('sum(amount)') }} as net_amount,
    {{ as_money('sum(year_close_amount)') }} as year_close_amount,
    {{ as_money('sum(cash_entry_amount)') }} as cash_entry_amount
from lines
group by posting_date, account_code
