select
    item_id,
    sku,
    item_name,
    category,
    unit,
    pack_size,
    moq,
    vat_rate,
    list_price,
    is_active,
    launched_on,
    discontinued_on,
    supply_mode
from {{ ref('stg_oltp__item') }}
