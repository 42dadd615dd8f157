-- One row per posted delivery: on time, in full, OTIF, freight against revenue.
--   promised_date = the sales order's expected_date (no promise → on time)
--   on_time  = arrival (delivered_on, else the ship date) ≤ promised_date
--   in_full  = with this delivery, every line of the order is delivered in full
--              (deliveries of the order up to this one; lost demand is not ordered qty)
--   revenue  = delivered qty × order price (net of VAT)
--   freight_pct_of_revenue = freight_cost ÷ revenue
with orders as (
    select * from {{ ref('int_sales_orders') }}
),

lines as (
    select * from {{ ref('stg_oltp__document_line') }}
),

deliveries as (
    select * from {{ ref('int_deliveries') }}
    where status = 'posted'
),

order_lines as (
    select lines.document_line_id, lines.document_id, lines.qty
    from lines
    inner join orders on lines.document_id = orders.document_id
),

delivered_lines as (
    select
        deliveries.document_id as delivery_id,
        deliveries.doc_date as ship_date,
        lines.source_line_id as order_line_id,
        lines.qty,
        lines.net_amount
    from deliveries
    inner join lines on deliveries.document_id = lines.document_id
),

delivery_seq as (
    -- the deliveries of each order in shipping order (the same day: by id)
    select
        document_id as delivery_id,
        source_document_id as order_id,
        row_number() over (partition by source_document_id
                           order by doc_date, document_id) as seq
    from deliveries
),

line_progress as (
    -- running delivered quantity of each order line, delivery by delivery
    select
        delivered_lines.order_line_id,
        delivery_seq.seq,
        sum(delivered_lines.qty) over (
            partition by delivered_lines.order_line_id order by delivery_seq.seq
            rows between unbounded preceding and current row) as delivered_to_date
    from delivered_lines
    inner join delivery_seq on delivered_lines.delivery_id = delivery_seq.delivery_id
),

line_done as (
    -- each order line: the delivery that completed it (0 when nothing was ordered, only
    -- lost demand; none while it is short)
    select
        order_lines.document_id as order_id,
        case
            when order_lines.qty <= 0 then 0
            else min(case when line_progress.delivered_to_date >= order_lines.qty
                          then line_progress.seq end)
        end as done_seq
    from order_lines
    left join line_progress on order_lines.document_line_id = line_progress.order_line_id
    group by order_lines.document_id, order_lines.document_line_id, order_lines.qty
),

order_done as (
    -- the delivery after which every line of the order was in full
    select
        order_id,
        case when count(*) = count(done_seq) then max(done_seq) end as done_seq
    from line_done
    group by order_id
),

in_full as (
    -- linear in the deliveries: an as-of join of every delivery with every earlier one
    -- of the same order line took minutes on the large demo
    select
        delivery_seq.delivery_id,
        coalesce(delivery_seq.seq >= order_done.done_seq, false) as in_full
    from delivery_seq
    left join order_done on delivery_seq.order_id = order_done.order_id
),

totals as (
    select
        delivery_id,
        sum(qty) as qty,
        sum(net_amount) as revenue
    from delivered_lines
    group by delivery_id
),

joined as (
    select
        deliveries.document_id as delivery_id,
        deliveries.document_number,
        deliveries.source_document_id as sales_order_id,
        deliveries.carrier_id,
        deliveries.customer_id,
        deliveries.warehouse_id,
        customers.region,
        deliveries.doc_date as ship_date,
        orders.expected_date as promised_date,
        deliveries.delivered_on,
        coalesce(deliveries.delivered_on, deliveries.doc_date) as arrival_date,
        deliveries.freight_cost,
        coalesce(totals.qty, 0) as qty,
        coalesce(totals.revenue, 0) as revenue,
        coalesce(in_full.in_full, false) as in_full
    from deliveries
    inner join orders on deliveries.source_document_id = orders.document_id
    left join {{ ref('stg_oltp__customer') }} as customers
        on deliveries.customer_id = customers.customer_id
    left join totals on deliveries.document_id = totals.delivery_id
    left join in_full on deliveries.document_id = in_full.delivery_id
)

select
    delivery_id,
    cast(document_number as text) as document_number,
    sales_order_id,
    carrier_id,
    customer_id,
    warehouse_id,
    cast(region as text) as region,
    {{ month_start('ship_date') }} as "month",
    ship_date,
    promised_date,
    delivered_on,
    case
        when promised_date is null then 0
        else greatest({{ days_between('promised_date', 'arrival_date') }}, 0)
    end as days_late,
    coalesce(arrival_date <= promised_date, true) as on_time,
    in_full,
    coalesce(arrival_date <= promised_date, true) and in_full as otif,
    {{ as_qty('qty') }} as qty,
    {{ as_money('freight_cost') }} as freight_cost,
    {{ as_money('revenue') }} as revenue,
    {{ as_ratio(safe_divide('freight_cost', 'revenue')) }} as freight_pct_of_revenue
from joined
