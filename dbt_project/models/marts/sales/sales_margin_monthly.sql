-- Revenue, COGS and gross margin per month, item and customer.
--   revenue = invoice lines net of credit notes (sales returns), net of VAT, on the
--             invoice / credit-note date (cancellations taken back on the cancel date)
--   cogs    = journal 5000 of deliveries minus sales returns (moving-average cost), on
--             the delivery / return date
--   qty     = invoiced minus returned quantity
-- Revenue follows invoicing and COGS follows shipping, as in the books, so a month's
-- margin can mix an invoice with an earlier or later delivery.
with revenue as (
    select
        month_start,
        item_id,
        customer_id,
        sum(revenue_invoiced) as revenue_invoiced,
        sum(revenue_credited) as revenue_credited,
        sum(revenue) as revenue,
        sum(qty_invoiced) as qty_invoiced,
        sum(qty_returned) as qty_returned
    from {{ ref('int_revenue_lines') }}
    group by month_start, item_id, customer_id
),

cogs as (
    select
        month_start,
        item_id,
        customer_id,
        sum(cogs) as cogs
    from {{ ref('int_cogs_lines') }}
    group by month_start, item_id, customer_id
),

keys as (
    select month_start, item_id, customer_id from revenue
    union
    select month_start, item_id, customer_id from cogs
),

combined as (
    select
        keys.month_start,
        keys.item_id,
        keys.customer_id,
        coalesce(revenue.revenue_invoiced, 0) as revenue_invoiced,
        coalesce(revenue.revenue_credited, 0) as revenue_credited,
        coalesce(revenue.revenue, 0) as revenue,
        coalesce(cogs.cogs, 0) as cogs,
        coalesce(revenue.qty_invoiced, 0) as qty_invoiced,
        coalesce(revenue.qty_returned, 0) as qty_returned
    from keys
    left join revenue
        on keys.month_start = revenue.month_start
        and keys.item_id = revenue.item_id
        and keys.customer_id = revenue.customer_id
    left join cogs
        on keys.month_start = cogs.month_start
        and keys.item_id = cogs.item_id
        and keys.customer_id = cogs.customer_id
)

select
    combined.month_start as "month",
    combined.item_id,
    items.category,
    combined.customer_id,
    customers.region,
    {{ as_money('combined.revenue') }} as revenue,
    {{ as_money('combined.cogs') }} as cogs,
    {{ as_money('combined.revenue - combined.cogs') }} as gross_margin,
    {{ as_ratio(safe_divide('combined.revenue - combined.cogs', 'combined.revenue')) }}
        as gross_margin_pct,
    {{ as_qty('combined.qty_invoiced - combined.qty_returned') }} as qty,
    {{ as_money('combined.revenue_invoiced') }} as revenue_invoiced,
    {{ as_money('combined.revenue_credited') }} as revenue_credited,
    {{ as_qty('combined.qty_invoiced') }} as qty_invoiced,
    {{ as_qty('combined.qty_returned') }} as qty_returned
from combined
inner join {{ ref('stg_oltp__item') }} as items on combined.item_id = items.item_id
inner join {{ ref('stg_oltp__customer') }} as customers
    on combined.customer_id = customers.customer_id
