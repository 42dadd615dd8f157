-- Customer demand per item, warehouse and order day from posted sales orders (closed
-- ones included, cancelled ones not): ordered quantity plus the quantity lost to a
-- stockout (`lost_qty`, recorded on the order line), valued at the order price.
with orders as (
    select * from {{ ref('int_sales_orders') }}
    where status = 'posted'
),

lines as (
    select * from {{ ref('stg_oltp__document_line') }}
)

select
    lines.item_id,
    orders.warehouse_id,
    orders.doc_date as order_date,
    sum(lines.qty) as ordered_qty,
    sum(lines.lost_qty) as lost_qty,
    sum(lines.qty + lines.lost_qty) as demand_qty,
    sum(lines.lost_qty * lines.unit_price) as lost_revenue
from orders
inner join lines on orders.document_id = lines.document_id
group by lines.item_id, orders.warehouse_id, orders.doc_date
