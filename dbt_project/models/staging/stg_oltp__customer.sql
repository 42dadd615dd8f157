with source as (
    select * from {{ source('oltp', 'customer') }}
),

renamed as (
    select
        cast(id as integer) as customer_id,
        cast(code as text) as customer_code,
        cast(name as text) as customer_name,
        -- an empty region groups as 'Unassigned' on every dashboard
        cast(coalesce(nullif(trim(region), ''), 'Unassigned') as text) as region,
        {{ as_money('credit_limit') }} as credit_limit,
        cast(payment_terms_days as integer) as payment_terms_days,
        cast(active as boolean) as is_active
    from source
)

select * from renamed
