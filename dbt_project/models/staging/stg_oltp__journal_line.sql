with source as (
    select * from {{ source('oltp', 'journal_line') }}
),

renamed as (
    select
        cast(id as bigint) as journal_line_id,
        cast(entry_id as bigint) as journal_entry_id,
        cast(account_code as text) as account_code,
        {{ as_money('debit') }} as debit,
        {{ as_money('credit') }} as credit,
        cast(rule as text) as posting_rule,
        cast(customer_id as integer) as customer_id,
        cast(supplier_id as integer) as supplier_id,
        cast(item_id as integer) as item_id,
        cast(warehouse_id as integer) as warehouse_id
    from source
)

select * from renamed
