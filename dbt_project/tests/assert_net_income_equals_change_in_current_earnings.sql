-- The income statement's net income of each month = the change of the balance sheet's
-- current earnings from the previous month end, plus what the month's year-end closing
-- entries moved from the P&L to retained earnings (the P&L and the balance sheet agree).
with net_income as (
    select "month", amount
    from {{ ref('income_statement_monthly') }}
    where statement_line = 'net_income'
),

earnings as (
    select
        {{ month_start('month_end') }} as "month",
        amount - coalesce(lag(amount) over (order by month_end), 0) as change
    from {{ ref('balance_sheet_monthly') }}
    where statement_line = 'current_earnings'
),

closed as (
    select
        balances.month_start as "month",
        sum(balances.period_closing_net) as to_retained_earnings
    from {{ ref('int_account_balances_monthly') }} as balances
    inner join {{ ref('int_account_mapping') }} as mapping
        on balances.account_code = mapping.account_code
    where mapping.statement = 'income_statement'
    group by balances.month_start
)

select net_income."month", net_income.amount, earnings.change, closed.to_retained_earnings
from net_income
full outer join earnings on net_income."month" = earnings."month"
left join closed on coalesce(net_income."month", earnings."month") = closed."month"
where coalesce(net_income.amount, 0)
    <> coalesce(earnings.change, 0) + coalesce(closed.to_retained_earnings, 0)
