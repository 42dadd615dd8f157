with source as (
    select * from {{ source('oltp', 'document') }}
),

renamed as (
    select
        cast(id as integer) as document_id,
        cast(doc_type as text) as doc_type,
        cast(number as text) as document_number,
        cast(status as text) as status,
        cast(fulfilment_status as text) as fulfilment_status,
        cast(doc_date as date) as doc_date,
        cast(due_date as date) as due_date,
        cast(expected_date as date) as expected_date,
        cast(customer_id as integer) as customer_id,
        cast(supplier_id as integer) as supplier_id,
        cast(warehouse_id as integer) as warehouse_id,
        cast(to_warehouse_id as integer) as to_warehouse_id,
        cast(source_document_id as integer) as source_document_id,
        cast(carrier_id as integer) as carrier_id,
        cast(tracking_number as text) as tracking_number,
        {{ as_money('freight_cost') }} as freight_cost,
        cast(delivered_on as date) as delivered_on,
        cast(received_on as date) as received_on,
        cast(transfer_state as text) as transfer_state,
        cast(is_opening as boolean) as is_opening,
        cast(origin as text) as origin,
        cast(planning_run_id as text) as planning_run_id,
        cast(planner_touched as boolean) as is_planner_touched,
        {{ as_money('amount') }} as payment_amount,
        {{ as_money('net_total') }} as net_total,
        {{ as_money('vat_total') }} as vat_total,
        {{ as_money('gross_total') }} as gross_total,
        {{ as_money('party_balance_effect') }} as party_balance_effect,
        {{ as_money('paid_amount') }} as paid_amount,
        cast(created_by as text) as created_by,
        cast(created_at as timestamp) as created_at,
        cast(posted_by as text) as posted_by,
        cast(posted_at as timestamp) as posted_at,
        cast(approved_by as text) as approved_by,
        cast(approved_at as timestamp) as approved_at,
        cast(cancelled_by as text) as cancelled_by,
        cast(cancelled_at as timestamp) as cancelled_at,
        cast(cancel_date as date) as cancel_date,
        cast(updated_at as timestamp) as updated_at,
        cast(change_seq as bigint) as change_seq
    from source
)

select * from renamed
