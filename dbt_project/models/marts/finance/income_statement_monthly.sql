-- Income statement per month: every account of the P&L mapped to a statement line by
-- seeds/account_statement_lines.csv; amounts are credit − debit, so income is positive
-- and expenses negative. Subtotal lines (seeds/income_statement_subtotals.csv) sum every
-- detail line above them; `net_income` sums them all. Zero lines are kept so every month
-- has the same shape. Year-end closing entries are left out (period_closing_net): a
-- closed year still shows its result.
with balances as (
    select * from {{ ref('int_account_balances_monthly') }}
),

mapping as (
    select * from {{ ref('int_account_mapping') }}
    where statement = 'income_statement'
),

lines as (
    select distinct line_order, statement_line, line_label
    from {{ ref('account_statement_lines') }}
    where statement = 'income_statement'
),

months as (
    select month_start from {{ ref('int_months') }}
),

amounts as (
    select
        balances.month_start,
        mapping.statement_line,
        sum(balances.period_closing_net - balances.period_net) as amount
    from balances
    inner join mapping on balances.account_code = mapping.account_code
    group by balances.month_start, mapping.statement_line
),

detail as (
    select
        months.month_start,
        lines.line_order,
        lines.statement_line,
        lines.line_label,
        false as is_subtotal,
        coalesce(amounts.amount, 0) as amount
    from months
    cross join lines
    left join amounts
        on months.month_start = amounts.month_start
        and lines.statement_line = amounts.statement_line
),

subtotals as (
    select
        detail.month_start,
        totals.line_order,
        totals.statement_line,
        totals.line_label,
        true as is_subtotal,
        sum(case when detail.line_order < totals.line_order then detail.amount else 0 end)
            as amount
    from detail
    cross join {{ ref('income_statement_subtotals') }} as totals
    group by detail.month_start, totals.line_order, totals.statement_line, totals.line_label
),

unioned as (
    select * from detail
    union all
    select * from subtotals
)

select
    month_start as "month",
    cast(line_order as integer) as line_order,
    cast(statement_line as text) as statement_line,
    cast(line_label as text) as line_label,
    is_subtotal,
    {{ as_money('amount') }} as amount
from unioned
