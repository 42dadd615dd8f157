with source as (
    select * from {{ source('oltp', 'document_line') }}
),

renamed as (
    select
        cast(id as integer) as document_line_id,
        cast(document_id as integer) as document_id,
        cast(line_no as integer) as line_no,
        cast(item_id as integer) as item_id,
        {{ as_qty('qty') }} as qty,
        {{ as_unit_cost('unit_price') }} as unit_price,
        cast(vat_rate as numeric(6, 4)) as vat_rate,
        {{ as_money('net_amount') }} as net_amount,
        {{ as_money('vat_amount') }} as vat_amount,
        {{ as_qty('rejected_qty') }} as rejected_qty,
        {{ as_qty('system_qty') }} as system_qty,
        {{ as_unit_cost('unit_cost') }} as unit_cost,
        cast(account_code as text) as account_code,
        {{ as_money('debit') }} as debit,
        {{ as_money('credit') }} as credit,
        cast(source_line_id as integer) as source_line_id,
        cast(allocated_document_id as integer) as allocated_document_id,
        {{ as_qty('delivered_qty') }} as delivered_qty,
        {{ as_qty('received_qty') }} as received_qty,
        {{ as_qty('invoiced_qty') }} as invoiced_qty,
        {{ as_qty('billed_qty') }} as billed_qty,
        {{ as_qty('returned_qty') }} as returned_qty,
        {{ as_qty('lost_qty') }} as lost_qty,
        cast(change_seq as bigint) as change_seq
    from source
)

select * from renamed
