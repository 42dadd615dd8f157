-- the before/after JSON snapshots stay in the OLTP: the warehouse needs who/what/when
with source as (
    select * from {{ source('oltp', 'audit_log') }}
),

renamed as (
    select
        cast(id as bigint) as audit_log_id,
        cast("at" as timestamp) as logged_at,
        cast(username as text) as username,
        cast(action as text) as action,
        cast(entity as text) as entity,
        cast(entity_id as text) as entity_id,
        cast(document_number as text) as document_number
    from source
)

select * from renamed
