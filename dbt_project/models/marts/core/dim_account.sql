select
    account_code,
    account_name,
    account_type,
    statement,
    section,
    statement_line,
    cash_flow_activity
from {{ ref('int_account_mapping') }}
