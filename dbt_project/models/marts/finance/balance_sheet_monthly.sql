-- Balance sheet at every month end. Assets are debit-positive, liabilities and equity
-- credit-positive. `retained_earnings` (3100) holds the results of the closed years (the
-- year closes' closing entries); `current_earnings` is the cumulative P&L not yet closed
-- to it — the P&L since the last year-end close — so assets = liabilities + equity at
-- every month end. Section totals are flagged is_total.
with balances as (
    select * from {{ ref('int_account_balances_monthly') }}
),

mapping as (
    select * from {{ ref('int_account_mapping') }}
),

lines as (
    select distinct section, line_order, statement_line, line_label
    from {{ ref('account_statement_lines') }}
    where statement = 'balance_sheet'
),

months as (
    select month_end from {{ ref('int_months') }}
),

amounts as (
    select
        balances.month_end,
        mapping.statement_line,
        sum(case when mapping.section = 'assets' then balances.balance
                 else -balances.balance end) as amount
    from balances
    inner join mapping on balances.account_code = mapping.account_code
    where mapping.statement = 'balance_sheet'
    group by balances.month_end, mapping.statement_line
),

earnings as (
    select
        balances.month_end,
        sum(-balances.balance) as amount
    from balances
    inner join mapping on balances.account_code = mapping.account_code
    where mapping.statement = 'income_statement'
    group by balances.month_end
),

detail as (
    select
        months.month_end,
        lines.section,
        lines.line_order,
        lines.statement_line,
        lines.line_label,
        coalesce(amounts.amount, 0) as amount
    from months
    cross join lines
    left join amounts
        on months.month_end = amounts.month_end
        and lines.statement_line = amounts.statement_line
    union all
    select
        months.month_end,
        'equity',
        330,
        'current_earnings',
        'Current earnings (P&L since the last year close)',
        coalesce(earnings.amount, 0)
    from months
    left join earnings on months.month_end = earnings.month_end
),

totals as (
    select
        month_end,
        section,
        case section when 'assets' then 199 when 'liabilities' then 299 else 399 end
            as line_order,
        'total_' || section as statement_line,
        case section
            when 'assets' then 'Total assets'
            when 'liabilities' then 'Total liabilities'
            else 'Total equity'
        end as line_label,
        sum(amount) as amount
    from detail
    group by month_end, section
)

select
    month_end,
    cast(section as text) as section,
    cast(line_order as integer) as line_order,
    cast(statement_line as text) as statement_line,
    cast(line_label as text) as line_label,
    false as is_total,
    {{ as_money('amount') }} as amount
from detail
union all
select
    month_end,
    cast(section as text),
    cast(line_order as integer),
    cast(statement_line as text),
    cast(line_label as text),
    true,
    {{ as_money('amount') }}
from totals
