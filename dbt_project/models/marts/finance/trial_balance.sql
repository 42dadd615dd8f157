-- Trial balance at every month end: each account's cumulative balance shown on its
-- natural side (debit or credit), so Σ debit = Σ credit at every month end; plus the
-- month's movements and the cumulative turnover.
with balances as (
    select * from {{ ref('int_account_balances_monthly') }}
),

accounts as (
    select * from {{ ref('stg_oltp__account') }}
)

select
    balances.month_end,
    balances.account_code,
    accounts.account_name,
    accounts.account_type,
    {{ as_money('case when balances.balance > 0 then balances.balance else 0 end') }} as debit,
    {{ as_money('case when balances.balance < 0 then -balances.balance else 0 end') }}
        as credit,
    {{ as_money('balances.balance') }} as balance,
    {{ as_money('balances.period_debit') }} as period_debit,
    {{ as_money('balances.period_credit') }} as period_credit,
    {{ as_money('balances.cumulative_debit') }} as cumulative_debit,
    {{ as_money('balances.cumulative_credit') }} as cumulative_credit
from balances
inner join accounts on balances.account_code = accounts.account_code
