with source as (
    select * from {{ source('oltp', 'supplier_item') }}
),

renamed as (
    select
        cast(id as integer) as supplier_item_id,
        cast(supplier_id as integer) as supplier_id,
        cast(item_id as integer) as item_id,
        {{ as_money('price') }} as price,
        cast(lead_time_days as integer) as lead_time_days,
        {{ as_qty('moq') }} as moq,
        {{ as_qty('pack_size') }} as pack_size
    from source
)

select * from renamed
