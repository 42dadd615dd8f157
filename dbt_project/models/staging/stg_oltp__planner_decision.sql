with source as (
    select * from {{ source('oltp', 'planner_decision') }}
),

renamed as (
    select
        cast(id as integer) as planner_decision_id,
        cast(document_id as integer) as document_id,
        cast(document_line_id as integer) as document_line_id,
        cast(item_id as integer) as item_id,
        cast(planning_run_id as text) as planning_run_id,
        cast(action as text) as action,
        {{ as_qty('suggested_qty') }} as suggested_qty,
        {{ as_qty('final_qty') }} as final_qty,
        cast(reason as text) as reason,
        cast(decided_by as text) as decided_by,
        cast(decided_at as timestamp) as decided_at
    from source
)

select * from renamed
