with source as (
    select * from {{ source('oltp', 'app_user') }}
),

renamed as (
    select
        cast(id as integer) as user_id,
        cast(username as text) as username,
        cast(role as text) as role,
        cast(active as boolean) as is_active,
        cast(created_at as timestamp) as created_at
    from source
)

select * from renamed
