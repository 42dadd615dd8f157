with source as (
    select * from {{ source('oltp', 'carrier') }}
),

renamed as (
    select
        cast(id as integer) as carrier_id,
        cast(code as text) as carrier_code,
        cast(name as text) as carrier_name
    from source
)

select * from renamed
