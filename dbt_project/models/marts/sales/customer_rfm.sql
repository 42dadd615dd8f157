-- RFM per customer as of the reporting date (int_reporting_period.as_of_date, the latest
-- day with data); the window is the 365 days ending on it:
--   recency_days = days since the last posted invoice (any date)
--   frequency    = purchase days in the window: days with at least one posted invoice
--                  (two invoices of one day, e.g. a split delivery, are one purchase)
--   monetary     = revenue net of credit notes in the window
-- Scores 1–5 are quintiles among the *active* customers (a purchase day in the window),
-- 5 = most recent / most frequent / highest value. Equal values share a score: each
-- customer's position is its mid-rank (the mean of the ranks its tie spans), and
-- score = 1 + floor(5 × (mid-rank − ½) / active customers), which is ntile(5) when
-- nothing ties. Segments of active customers from seeds/rfm_segments.csv (first match by
-- priority on r and f scores); customers who bought before but not in the window are
-- 'lapsed', those who never bought 'prospect', both without scores.
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
        count(distinct case when invoices.doc_date > {{ add_days('period.as_of_date', -365) }}
                            then invoices.doc_date end) as frequency
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

ranked as (
    -- mid-rank of each value: rank() of the tie + (tie size − 1) / 2
    select
        buyers.*,
        count(*) over () as n_active,
        rank() over (order by buyers.recency_days desc)
        + (count(*) over (partition by buyers.recency_days) - 1) / 2.0 as r_rank,
        rank() over (order by buyers.frequency)
        + (count(*) over (partition by buyers.frequency) - 1) / 2.0 as f_rank,
        rank() over (order by buyers.monetary)
        + (count(*) over (partition by buyers.monetary) - 1) / 2.0 as m_rank
    from buyers
    where buyers.frequency > 0
),

scored as (
    select
        ranked.*,
        1 + floor(5 * (ranked.r_rank - 0.5) / ranked.n_active) as r_score,
        1 + floor(5 * (ranked.f_rank - 0.5) / ranked.n_active) as f_score,
        1 + floor(5 * (ranked.m_rank - 0.5) / ranked.n_active) as m_score
    from ranked
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
    buyers.last_invoice_date,
    buyers.recency_days,
    cast(coalesce(buyers.frequency, 0) as integer) as frequency,
    {{ as_money('coalesce(buyers.monetary, 0)') }} as monetary,
    cast(segmented.r_score as integer) as r_score,
    cast(segmented.f_score as integer) as f_score,
    cast(segmented.m_score as integer) as m_score,
    cast(
        case
            when buyers.customer_id is null then 'prospect'
            when segmented.customer_id is null then 'lapsed'
            else segmented.segment
        end as text
    ) as segment
from customers
left join buyers on customers.customer_id = buyers.customer_id
left join segmented on customers.customer_id = segmented.customer_id
