select
    carrier_id,
    carrier_code,
    carrier_name
from {{ ref('stg_oltp__carrier') }}
