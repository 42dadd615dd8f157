-- Lines of approved purchase orders due by the as-of date (expected_date, else the order
-- date, on or before it): what suppliers should have delivered by now. Open orders not
-- yet due are left out, so fill rates do not count deliveries that cannot have happened.
select
    orders.supplier_id,
    lines.item_id,
    orders.document_id as purchase_order_id,
    lines.document_line_id as purchase_order_line_id,
    lines.qty as ordered_qty,
    lines.received_qty
from {{ ref('int_purchase_orders') }} as orders
inner join {{ ref('stg_oltp__document_line') }} as lines
    on orders.document_id = lines.document_id
cross join {{ ref('int_reporting_period') }} as period
where orders.status = 'approved'
  and coalesce(orders.expected_date, orders.doc_date) <= period.as_of_date
