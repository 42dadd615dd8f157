with source as (
    select * from {{ source('oltp', 'account') }}
),

renamed as (
    select
        cast(code as text) as account_code,
        cast(name as text) as account_name,
        cast(account_type as text) as account_type,
        cast(parent_code as text) as parent_account_code,
        cast(is_control as boolean) as is_control,
        cast(active as boolean) as is_active
    from source
)

select * from renamed
