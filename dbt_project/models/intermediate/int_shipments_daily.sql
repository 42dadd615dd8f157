-- Quantity shipped per item, warehouse and ship day by posted (not cancelled) deliveries.
with deliveries as (
    select * from {{ ref('int_deliveries') }}
    where status = 'posted'
),

lines as (
    select * from {{ ref('stg_oltp__document_line') }}
)

select
    lines.item_id,
    deliveries.warehouse_id,
    deliveries.doc_date as ship_date,
    sum(lines.qty) as shipped_qty
from deliveries
inner join lines on deliveries.document_id = lines.document_id
group by lines.item_id, deliveries.warehouse_id, deliveries.doc_date
