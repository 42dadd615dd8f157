select
    {{ dbt.date_trunc('month', 'posting_date') }} as month,
    item_id,
    warehouse_id,
    sum(case when doc_type = 'delivery' then -value else 0 end) as cogs,
    sum(value) as net_value,
    count(*) as movements
from {{ ref('stg_oltp__stock_ledger') }}
group by 1, 2, 3
