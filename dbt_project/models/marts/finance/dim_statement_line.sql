-- Every line of the financial statements in order — the detail lines of the seeds, the
-- subtotals and totals — for the statement builders (dashboards/statements.py), which
-- assemble an income statement, balance sheet or cash flow for any dates from
-- fct_gl_daily and dim_account with the same rules as the monthly marts:
--   income_statement  a subtotal sums every detail line ordered above it
--   balance_sheet     current_earnings = the P&L not closed; a total sums its section
--   cash_flow         a subtotal sums its activity (no activity: every detail line);
--                     opening_cash / closing_cash are the cash balances at the ends
with account_lines as (
    select * from {{ ref('account_statement_lines') }}
),

cash_lines as (
    select * from {{ ref('cash_flow_lines') }}
),

methods as (
    select 'direct' as method
    union all
    select 'indirect' as method
),

lines as (
    select distinct
        statement,
        cast(null as text) as method,
        section,
        line_order,
        statement_line,
        line_label,
        false as is_subtotal
    from account_lines
    union all
    select
        'income_statement', null, null, line_order, statement_line, line_label, true
    from {{ ref('income_statement_subtotals') }}
    union all
    select
        'balance_sheet', null, 'equity', 330, 'current_earnings',
        'Current earnings (P&L not closed)', false
    union all
    select 'balance_sheet', null, 'assets', 199, 'total_assets', 'Total assets', true
    union all
    select
        'balance_sheet', null, 'liabilities', 299, 'total_liabilities', 'Total liabilities', true
    union all
    select 'balance_sheet', null, 'equity', 399, 'total_equity', 'Total equity', true
    union all
    select distinct 'cash_flow', 'direct', activity, direct_line_order, direct_line, null, false
    from cash_lines
    union all
    select distinct
        'cash_flow', 'indirect', activity, indirect_line_order, indirect_line, null, false
    from cash_lines
    union all
    select 'cash_flow', methods.method, totals.activity, totals.line_order, totals.line, null, true
    from {{ ref('cash_flow_subtotals') }} as totals
    cross join methods
    union all
    select 'cash_flow', method, null, 910, 'opening_cash', null, true
    from methods
    union all
    select 'cash_flow', method, null, 920, 'closing_cash', null, true
    from methods
)

select
    cast(statement as text) as statement,
    cast(method as text) as method,
    cast(section as text) as section,
    cast(line_order as integer) as line_order,
    cast(statement_line as text) as statement_line,
    cast(line_label as text) as line_label,
    is_subtotal
from lines
