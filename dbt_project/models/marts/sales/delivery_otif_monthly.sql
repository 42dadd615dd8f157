-- OTIF and freight by month, carrier and region (rates over deliveries; freight % on
-- summed freight and revenue). Deliveries without a carrier group under carrier_id null.
with deliveries as (
    select * from {{ ref('delivery_performance') }}
),

grouped as (
    select
        "month",
        carrier_id,
        region,
        count(*) as deliveries,
        sum(case when on_time then 1 else 0 end) as on_time_deliveries,
        sum(case when in_full then 1 else 0 end) as in_full_deliveries,
        sum(case when otif then 1 else 0 end) as otif_deliveries,
        sum(freight_cost) as freight_cost,
        sum(revenue) as revenue
    from deliveries
    group by "month", carrier_id, region
)

select
    "month",
    carrier_id,
    cast(region as text) as region,
    cast(deliveries as integer) as deliveries,
    {{ as_ratio(safe_divide('on_time_deliveries', 'deliveries')) }} as on_time_rate,
    {{ as_ratio(safe_divide('in_full_deliveries', 'deliveries')) }} as in_full_rate,
    {{ as_ratio(safe_divide('otif_deliveries', 'deliveries')) }} as otif_rate,
    {{ as_money('freight_cost') }} as freight_cost,
    {{ as_money('revenue') }} as revenue,
    {{ as_money(safe_divide('freight_cost', 'deliveries')) }} as freight_per_delivery,
    {{ as_ratio(safe_divide('freight_cost', 'revenue')) }} as freight_pct_of_revenue
from grouped
