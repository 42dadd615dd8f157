with source as (
    select * from {{ source('oltp', 'journal_entry') }}
),

renamed as (
    select
        cast(id as bigint) as journal_entry_id,
        cast(document_id as integer) as document_id,
        cast(doc_type as text) as doc_type,
        cast(posting_date as date) as posting_date,
        cast(memo as text) as memo,
        cast(is_reversal as boolean) as is_reversal,
        cast(reverses_id as bigint) as reverses_journal_entry_id,
        cast(created_at as timestamp) as created_at
    from source
)

select * from renamed
