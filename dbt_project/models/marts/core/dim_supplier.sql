select
    supplier_id,
    supplier_code,
    supplier_name,
    payment_terms_days,
    default_lead_time_days,
    is_active
from {{ ref('stg_oltp__supplier') }}
