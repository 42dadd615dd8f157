{#- The reorder rules as master data says them (one per item and warehouse): what
    planning compares its proposals with, read from the marts, never from raw. -#}
select
    r.reorder_rule_id,
    r.item_id,
    i.sku,
    i.supply_mode,
    r.warehouse_id,
    w.warehouse_code,
    r.reorder_level,
    r.reorder_qty,
    r.is_active as active
from {{ ref('stg_oltp__reorder_rule') }} as r
inner join {{ ref('stg_oltp__item') }} as i on r.item_id = i.item_id
inner join {{ ref('stg_oltp__warehouse') }} as w on r.warehouse_id = w.warehouse_id
