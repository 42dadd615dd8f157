-- Every account's statement line (income statement / balance sheet) and cash-flow lines,
-- from the seeds: the account's own code first, then its parent's, then the default row
-- of its account type (`type:<account_type>`), so a new sub-account needs no new rule.
with accounts as (
    select * from {{ ref('stg_oltp__account') }}
),

statement_lines as (
    select * from {{ ref('account_statement_lines') }}
),

cash_flow_lines as (
    select * from {{ ref('cash_flow_lines') }}
),

keyed as (
    select
        accounts.*,
        coalesce(
            own_line.account_key, parent_line.account_key, 'type:' || accounts.account_type
        ) as statement_key,
        coalesce(
            own_cash.account_key, parent_cash.account_key, 'type:' || accounts.account_type
        ) as cash_flow_key
    from accounts
    left join statement_lines as own_line on accounts.account_code = own_line.account_key
    left join statement_lines as parent_line
        on accounts.parent_account_code = parent_line.account_key
    left join cash_flow_lines as own_cash on accounts.account_code = own_cash.account_key
    left join cash_flow_lines as parent_cash
        on accounts.parent_account_code = parent_cash.account_key
)

select
    keyed.account_code,
    keyed.account_name,
    keyed.account_type,
    statement_lines.statement,
    statement_lines.section,
    statement_lines.line_order,
    statement_lines.statement_line,
    statement_lines.line_label,
    cash_flow_lines.activity as cash_flow_activity,
    cash_flow_lines.direct_line_order,
    cash_flow_lines.direct_line,
    cash_flow_lines.indirect_line_order,
    cash_flow_lines.indirect_line
from keyed
left join statement_lines on keyed.statement_key = statement_lines.account_key
left join cash_flow_lines on keyed.cash_flow_key = cash_flow_lines.account_key
