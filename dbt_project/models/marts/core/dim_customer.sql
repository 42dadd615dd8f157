select
    customer_id,
    customer_code,
    customer_name,
    region,
    credit_limit,
    payment_terms_days,
    is_active
from {{ ref('stg_oltp__customer') }}
