-- Supplier performance over all posted goods receipts (see supplier_item_performance
-- for the same per item):
--   receipts            = posted (not cancelled) goods receipts
--   on_time_rate        = share of receipts dated on or before the PO's expected_date
--   lead_time_mean_days = mean of receipt date − PO date, per receipt
--   lead_time_std_days  = population std dev of the same (0 for a single receipt)
--   fill_rate           = accepted ÷ ordered over approved PO lines due by the as-of
--                         date (expected_date ≤ as-of; open orders not yet due excluded)
--   qc_reject_rate      = rejected ÷ (accepted + rejected) over receipt lines
with receipt_lines as (
    select * from {{ ref('int_goods_receipt_lines') }}
),

receipts as (
    select
        supplier_id,
        receipt_id,
        max(lead_time_days) as lead_time_days,
        min(case when is_on_time then 1 else 0 end) as is_on_time
    from receipt_lines
    group by supplier_id, receipt_id
),

timing as (
    select
        supplier_id,
        count(*) as receipts,
        avg(cast(is_on_time as numeric(18, 6))) as on_time_rate,
        avg(cast(lead_time_days as numeric(18, 6))) as lead_time_mean_days,
        stddev_pop(lead_time_days) as lead_time_std_days,
        max(lead_time_days) as lead_time_max_days
    from receipts
    group by supplier_id
),

quality as (
    select
        supplier_id,
        sum(accepted_qty) as accepted_qty,
        sum(rejected_qty) as rejected_qty
    from receipt_lines
    group by supplier_id
),

fill as (
    select
        supplier_id,
        sum(ordered_qty) as ordered_qty,
        sum(received_qty) as received_qty
    from {{ ref('int_purchase_order_lines_due') }}
    group by supplier_id
)

select
    suppliers.supplier_id,
    cast(coalesce(timing.receipts, 0) as integer) as receipts,
    {{ as_ratio('timing.on_time_rate') }} as on_time_rate,
    cast(timing.lead_time_mean_days as numeric(18, 2)) as lead_time_mean_days,
    cast(timing.lead_time_std_days as numeric(18, 2)) as lead_time_std_days,
    cast(timing.lead_time_max_days as integer) as lead_time_max_days,
    {{ as_qty('fill.ordered_qty') }} as ordered_qty_due,
    {{ as_qty('fill.received_qty') }} as accepted_qty_due,
    {{ as_ratio(safe_divide('fill.received_qty', 'fill.ordered_qty')) }} as fill_rate,
    {{ as_qty('quality.accepted_qty') }} as accepted_qty,
    {{ as_qty('quality.rejected_qty') }} as rejected_qty,
    {{ as_ratio(safe_divide('quality.rejected_qty',
                            'quality.accepted_qty + quality.rejected_qty')) }}
        as qc_reject_rate
from {{ ref('stg_oltp__supplier') }} as suppliers
left join timing on suppliers.supplier_id = timing.supplier_id
left join quality on suppliers.supplier_id = quality.supplier_id
left join fill on suppliers.supplier_id = fill.supplier_id
