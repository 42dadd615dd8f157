select
    warehouse_id,
    warehouse_code,
    warehouse_name,
    is_active,
    is_transit
from {{ ref('stg_oltp__warehouse') }}
