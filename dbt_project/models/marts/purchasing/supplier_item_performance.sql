-- supplier_performance per supplier × item (definitions there); a receipt's lead time
-- and punctuality are those of its line. Pairs with a receipt or a due PO line.
with receipt_lines as (
    select * from {{ ref('int_goods_receipt_lines') }}
),

timing as (
    select
        supplier_id,
        item_id,
        count(*) as receipts,
        avg(case when is_on_time then 1.0 else 0.0 end) as on_time_rate,
        avg(cast(lead_time_days as numeric(18, 6))) as lead_time_mean_days,
        stddev_pop(lead_time_days) as lead_time_std_days,
        sum(accepted_qty) as accepted_qty,
        sum(rejected_qty) as rejected_qty
    from receipt_lines
    group by supplier_id, item_id
),

fill as (
    select
        supplier_id,
        item_id,
        sum(ordered_qty) as ordered_qty,
        sum(received_qty) as received_qty
    from {{ ref('int_purchase_order_lines_due') }}
    group by supplier_id, item_id
),

pairs as (
    select supplier_id, item_id from timing
    union
    select supplier_id, item_id from fill
)

select
    pairs.supplier_id,
    pairs.item_id,
    cast(coalesce(timing.receipts, 0) as integer) as receipts,
    {{ as_ratio('timing.on_time_rate') }} as on_time_rate,
    cast(timing.lead_time_mean_days as numeric(18, 2)) as lead_time_mean_days,
    cast(timing.lead_time_std_days as numeric(18, 2)) as lead_time_std_days,
    {{ as_ratio(safe_divide('fill.received_qty', 'fill.ordered_qty')) }} as fill_rate,
    {{ as_ratio(safe_divide('timing.rejected_qty',
                            'timing.accepted_qty + timing.rejected_qty')) }} as qc_reject_rate
from pairs
left join timing
    on pairs.supplier_id = timing.supplier_id and pairs.item_id = timing.item_id
left join fill
    on pairs.supplier_id = fill.supplier_id and pairs.item_id = fill.item_id
