-- The income statement's net income of each month = the change of the balance sheet's
-- current earnings from the previous month end (the P&L and the balance sheet agree).
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
)

select net_income."month", net_income.amount, earnings.change
from net_income
full outer join earnings on net_income."month" = earnings."month"
where coalesce(net_income.amount, 0) <> coalesce(earnings.change, 0)
