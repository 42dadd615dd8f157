-- The chart of accounts with the lines each account is reported on: its statement line
-- (income statement or balance sheet) and its cash-flow lines (direct and indirect), and
-- whether it is a cash account (var('cash_account_codes')).
{% set cash_accounts = var('cash_account_codes') %}
with mapping as (
    select * from {{ ref('int_account_mapping') }}
),

accounts as (
    select account_code, parent_account_code from {{ ref('stg_oltp__account') }}
)

select
    mapping.account_code,
    mapping.account_name,
    mapping.account_type,
    mapping.statement,
    mapping.section,
    mapping.statement_line,
    mapping.cash_flow_activity,
    cast(accounts.parent_account_code as text) as parent_account_code,
    cast(mapping.line_order as integer) as line_order,
    cast(mapping.line_label as text) as line_label,
    cast(mapping.direct_line as text) as cash_flow_direct_line,
    cast(mapping.indirect_line as text) as cash_flow_indirect_line,
    mapping.account_code in ('{{ cash_accounts | join("', '") }}') as is_cash
from mapping
inner join accounts on mapping.account_code = accounts.account_code
