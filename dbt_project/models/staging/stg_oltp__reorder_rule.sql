with source as (
    select * from {{ source('oltp', 'reorder_rule') }}
),

renamed as (
    select
        cast(id as integer) as reorder_rule_id,
        cast(item_id as integer) as item_id,
        cast(warehouse_id as integer) as warehouse_id,
        {{ as_qty('reorder_level') }} as reorder_level,
        {{ as_qty('reorder_qty') }} as reorder_qty,
        cast(active as boolean) as is_active
    from source
)

select * from renamed
