with source as (
    select * from {{ source('oltp', 'stock_ledger') }}
),

renamed as (
    select
        cast(id as bigint) as stock_ledger_id,
        cast(document_id as integer) as document_id,
        cast(document_line_id as integer) as document_line_id,
        cast(doc_type as text) as doc_type,
        cast(item_id as integer) as item_id,
        cast(warehouse_id as integer) as warehouse_id,
        cast(posting_date as date) as posting_date,
        {{ as_qty('qty') }} as qty,
        {{ as_unit_cost('unit_cost') }} as unit_cost,
        {{ as_money('value') }} as movement_value,
        {{ as_qty('running_qty') }} as running_qty,
        {{ as_money('running_value') }} as running_value,
        cast(is_reversal as boolean) as is_reversal,
        cast(created_at as timestamp) as created_at
    from source
)

select * from renamed
