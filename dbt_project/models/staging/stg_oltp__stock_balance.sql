with source as (
    select * from {{ source('oltp', 'stock_balance') }}
),

renamed as (
    select
        cast(item_id as integer) as item_id,
        cast(warehouse_id as integer) as warehouse_id,
        {{ as_qty('qty') }} as qty_on_hand,
        {{ as_money('value') }} as stock_value,
        cast(last_posting_date as date) as last_posting_date
    from source
)

select * from renamed
