-- Cash flow statement per month, two ways (seeds/cash_flow_lines.csv maps accounts to
-- lines; the cash accounts are var('cash_account_codes'), default 1000 Bank):
--   direct   — every journal entry that moves cash is classified by its counter-
--              accounts: each non-cash line contributes credit − debit (a receivable
--              credited by a customer payment is a receipt from customers, a payable
--              debited by a supplier payment a payment to suppliers, …)
--   indirect — net income plus the change of every non-cash balance-sheet account
--              (credit − debit of the month: more receivables or stock use cash, more
--              payables provide it), year-end closing entries left out (they move no
--              cash: the P&L to retained earnings)
-- Both end in net_change_in_cash = the month's change of the cash accounts, followed by
-- opening_cash and closing_cash.
{% set cash_accounts = var('cash_account_codes') %}
with gl as (
    select * from {{ ref('int_gl_lines') }}
),

mapping as (
    select * from {{ ref('int_account_mapping') }}
),

balances as (
    select * from {{ ref('int_account_balances_monthly') }}
),

months as (
    select month_start from {{ ref('int_months') }}
),

seed_lines as (
    select * from {{ ref('cash_flow_lines') }}
),

cash_entries as (
    select distinct journal_entry_id
    from gl
    where account_code in ('{{ cash_accounts | join("', '") }}')
),

direct_amounts as (
    select
        gl.month_start,
        mapping.direct_line as line,
        sum(-gl.amount) as amount
    from gl
    inner join cash_entries on gl.journal_entry_id = cash_entries.journal_entry_id
    inner join mapping on gl.account_code = mapping.account_code
    where gl.account_code not in ('{{ cash_accounts | join("', '") }}')
    group by gl.month_start, mapping.direct_line
),

indirect_amounts as (
    select
        balances.month_start,
        mapping.indirect_line as line,
        sum(balances.period_closing_net - balances.period_net) as amount
    from balances
    inner join mapping on balances.account_code = mapping.account_code
    where balances.account_code not in ('{{ cash_accounts | join("', '") }}')
    group by balances.month_start, mapping.indirect_line
),

line_catalogue as (
    select distinct 'direct' as method, activity, direct_line_order as line_order,
                    direct_line as line
    from seed_lines
    union
    select distinct 'indirect', activity, indirect_line_order, indirect_line
    from seed_lines
),

detail as (
    select
        months.month_start,
        line_catalogue.method,
        line_catalogue.activity,
        line_catalogue.line_order,
        line_catalogue.line,
        false as is_subtotal,
        coalesce(direct_amounts.amount, indirect_amounts.amount, 0) as amount
    from months
    cross join line_catalogue
    left join direct_amounts
        on line_catalogue.method = 'direct'
        and months.month_start = direct_amounts.month_start
        and line_catalogue.line = direct_amounts.line
    left join indirect_amounts
        on line_catalogue.method = 'indirect'
        and months.month_start = indirect_amounts.month_start
        and line_catalogue.line = indirect_amounts.line
),

subtotals as (
    select
        detail.month_start,
        detail.method,
        totals.activity,
        totals.line_order,
        totals.line,
        true as is_subtotal,
        sum(case when totals.activity is null or detail.activity = totals.activity
                 then detail.amount else 0 end) as amount
    from detail
    cross join {{ ref('cash_flow_subtotals') }} as totals
    group by detail.month_start, detail.method, totals.activity, totals.line_order,
             totals.line
),

cash as (
    select
        month_start,
        sum(balance - period_net) as opening_cash,
        sum(balance) as closing_cash
    from balances
    where account_code in ('{{ cash_accounts | join("', '") }}')
    group by month_start
),

cash_lines as (
    select months.month_start, methods.method, cast(null as text) as activity,
           910 as line_order, 'opening_cash' as line, true as is_subtotal,
           coalesce(cash.opening_cash, 0) as amount
    from months
    cross join (
        select 'direct' as method
        union all
        select 'indirect'
    ) as methods
    left join cash on months.month_start = cash.month_start
    union all
    select months.month_start, methods.method, cast(null as text), 920, 'closing_cash', true,
           coalesce(cash.closing_cash, 0)
    from months
    cross join (
        select 'direct' as method
        union all
        select 'indirect'
    ) as methods
    left join cash on months.month_start = cash.month_start
),

unioned as (
    select * from detail
    union all
    select * from subtotals
    union all
    select * from cash_lines
)

select
    month_start as "month",
    cast(method as text) as method,
    cast(activity as text) as activity,
    cast(line_order as integer) as line_order,
    cast(line as text) as line,
    is_subtotal,
    {{ as_money('amount') }} as amount
from unioned
