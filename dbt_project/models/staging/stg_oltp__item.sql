with source as (
    select * from {{ source('oltp', 'item') }}
),

renamed as (
    select
        cast(id as integer) as item_id,
        cast(sku as text) as sku,
        cast(name as text) as item_name,
        cast(coalesce(nullif(trim(category), ''), 'Uncategorised') as text) as category,
        cast(unit as text) as unit,
        {{ as_qty('pack_size') }} as pack_size,
        {{ as_qty('moq') }} as moq,
        cast(vat_rate as numeric(6, 4)) as vat_rate,
        {{ as_money('list_price') }} as list_price,
        cast(active as boolean) as is_active,
        cast(launched_on as date) as launched_on,
        cast(discontinued_on as date) as discontinued_on,
        cast(supply_mode as text) as supply_mode
    from source
)

select * from renamed
