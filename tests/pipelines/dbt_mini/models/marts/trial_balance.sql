select
    {{ dbt.date_trunc('month', 'posting_date') }} as month_end,
    account_code,
    sum(debit) as debit,
    sum(credit) as credit,
    sum(debit - credit) as balance
from {{ ref('stg_oltp__journal_line') }}
group by 1, 2
