-- RFM per customer as of the latest date:
--   recency_days = days since the last posted invoice
--   frequency    = posted invoices in the last 365 days
--   monetary     = revenue net of credit notes in the last 365 days
-- Scores 1–5 are quintiles (ntile) among customers who ever bought (5 = most recent /
-- most frequent / highest value); segments from seeds/rfm_segments.csv (first match by
-- priority on r and f scores). Customers who never bought are 'prospect' without scores.
with period as (
    select as_of_date from {{ ref('int_reporting_period') }}
),

customers as (
    select * from {{ ref('stg_oltp__customer') }}
),

invoices as (
    select *
    from {{ ref('int_sales_invoices') }}
    where status = 'posted'
),

revenue as (
    select
        revenue.customer_id,
        sum(revenue.revenue) as monetary
    from {{ ref('int_revenue_lines') }} as revenue
    cross join period
    where revenue.booking_date > {{ add_days('period.as_of_date', -365) }}
    group by revenue.customer_id
),

activity as (
    select
        invoices.customer_id,
        max(invoices.doc_date) as last_invoice_date,
        sum(case when invoices.doc_date > {{ add_days('period.as_of_date', -365) }}
                 then 1 else 0 end) as frequency
    from invoices
    cross join period
    group by invoices.customer_id
),

buyers as (
    select
        activity.customer_id,
        activity.last_invoice_date,
        {{ days_between('activity.last_invoice_date', 'period.as_of_date') }} as recency_days,
        activity.frequency,
        coalesce(revenue.monetary, 0) as monetary
    from activity
    cross join period
    left join revenue on activity.customer_id = revenue.customer_id
),

scored as (
    select
        buyers.*,
        ntile(5) over (order by buyers.recency_days desc, buyers.customer_id asc) as r_score,
        ntile(5) over (order by buyers.frequency, buyers.customer_id) as f_score,
        ntile(5) over (order by buyers.monetary, buyers.customer_id) as m_score
    from buyers
),

segmented as (
    select
        scored.*,
        (
            select segments.segment
            from {{ ref('rfm_segments') }} as segments
            where scored.r_score between segments.r_min and segments.r_max
              and scored.f_score between segments.f_min and segments.f_max
            order by segments.priority
            limit 1
        ) as segment
    from scored
)

select
    customers.customer_id,
    customers.region,
    segmented.last_invoice_date,
    segmented.recency_days,
    cast(coalesce(segmented.frequency, 0) as integer) as frequency,
    {{ as_money('coalesce(segmented.monetary, 0)') }} as monetary,
    cast(segmented.r_score as integer) as r_score,
    cast(segmented.f_score as integer) as f_score,
    cast(segmented.m_score as integer) as m_score,
    cast(coalesce(segmented.segment, 'prospect') as text) as segment
from customers
left join segmented on customers.customer_id = segmented.customer_id
