-- Every account × every month of the period: the month's debits and credits and the
-- cumulative balance at month end (debit-positive), zero-filled; `period_closing_net` is
-- the part of the month's net that year-end closing entries posted (the P&L reports leave
-- it out; the balances, the trial balance and the balance sheet keep it).
with gl as (
    select * from {{ ref('int_gl_lines') }}
),

accounts as (
    select account_code from {{ ref('stg_oltp__account') }}
),

months as (
    select month_start, month_end from {{ ref('int_months') }}
),

movements as (
    select
        account_code,
        month_start,
        sum(debit) as period_debit,
        sum(credit) as period_credit,
        sum(case when is_closing_entry then amount else 0 end) as period_closing_net
    from gl
    group by account_code, month_start
),

grid as (
    select
        accounts.account_code,
        months.month_start,
        months.month_end,
        coalesce(movements.period_debit, 0) as period_debit,
        coalesce(movements.period_credit, 0) as period_credit,
        coalesce(movements.period_closing_net, 0) as period_closing_net
    from accounts
    cross join months
    left join movements
        on accounts.account_code = movements.account_code
        and months.month_start = movements.month_start
)

select
    account_code,
    month_start,
    month_end,
    period_debit,
    period_credit,
    period_debit - period_credit as period_net,
    period_closing_net,
    sum(period_debit) over (
        partition by account_code order by month_start
        rows between unbounded preceding and current row
    ) as cumulative_debit,
    sum(period_credit) over (
        partition by account_code order by month_start
        rows between unbounded preceding and current row
    ) as cumulative_credit,
    sum(period_debit - period_credit) over (
        partition by account_code order by month_start
        rows between unbounded preceding and current row
    ) as balance
from grid
