with source as (
    select * from {{ source('oltp', 'warehouse') }}
),

renamed as (
    select
        cast(id as integer) as warehouse_id,
        cast(code as text) as warehouse_code,
        cast(name as text) as warehouse_name,
        cast(active as boolean) as is_active,
        cast(coalesce(is_transit, false) as boolean) as is_transit
    from source
)

select * from renamed
