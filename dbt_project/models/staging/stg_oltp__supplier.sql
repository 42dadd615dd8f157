with source as (
    select * from {{ source('oltp', 'supplier') }}
),

renamed as (
    select
        cast(id as integer) as supplier_id,
        cast(code as text) as supplier_code,
        cast(name as text) as supplier_name,
        cast(payment_terms_days as integer) as payment_terms_days,
        cast(default_lead_time_days as integer) as default_lead_time_days,
        cast(active as boolean) as is_active
    from source
)

select * from renamed
