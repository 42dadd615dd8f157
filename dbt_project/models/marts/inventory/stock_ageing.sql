-- Age of the stock on hand per item and real warehouse as of the latest date, in the
-- buckets of seeds/ageing_buckets.csv, by FIFO-layer approximation (int_stock_layers).
-- Bucket values split the moving-average stock value by quantity; cumulative rounding
-- makes the four buckets add up to stock_value to the cent.
-- Movement class (seeds/movement_classes.csv) from the days since the last delivery of
-- the item from the warehouse, or since its first receipt when it never sold.
with layers as (
    select * from {{ ref('int_stock_layers') }}
),

buckets as (
    select * from {{ ref('ageing_buckets') }}
    where ageing_kind = 'stock'
),

classes as (
    select * from {{ ref('movement_classes') }}
),

period as (
    select as_of_date from {{ ref('int_reporting_period') }}
),

ledger as (
    select * from {{ ref('stg_oltp__stock_ledger') }}
),

warehouses as (
    select * from {{ ref('stg_oltp__warehouse') }}
),

on_hand as (
    select
        ledger.item_id,
        ledger.warehouse_id,
        sum(ledger.qty) as qty_on_hand,
        sum(ledger.movement_value) as stock_value,
        min(ledger.posting_date) as first_movement_date
    from ledger
    inner join warehouses on ledger.warehouse_id = warehouses.warehouse_id
    where not warehouses.is_transit
    group by ledger.item_id, ledger.warehouse_id
),

last_sale as (
    select
        ledger.item_id,
        ledger.warehouse_id,
        max(ledger.posting_date) as last_sale_date
    from ledger
    inner join {{ ref('stg_oltp__document') }} as documents
        on ledger.document_id = documents.document_id
    where ledger.doc_type = 'delivery'
      and documents.status = 'posted'
    group by ledger.item_id, ledger.warehouse_id
),

bucketed as (
    select
        layers.item_id,
        layers.warehouse_id,
        sum(case when buckets.bucket_order = 1 then layers.qty_remaining else 0 end) as qty_1,
        sum(case when buckets.bucket_order = 2 then layers.qty_remaining else 0 end) as qty_2,
        sum(case when buckets.bucket_order = 3 then layers.qty_remaining else 0 end) as qty_3,
        sum(case when buckets.bucket_order = 4 then layers.qty_remaining else 0 end) as qty_4
    from layers
    inner join buckets
        on layers.age_days >= buckets.min_days
        and (buckets.max_days is null or layers.age_days <= buckets.max_days)
    group by layers.item_id, layers.warehouse_id
),

valued as (
    select
        on_hand.item_id,
        on_hand.warehouse_id,
        on_hand.qty_on_hand,
        on_hand.stock_value,
        on_hand.first_movement_date,
        coalesce(bucketed.qty_1, 0) as qty_1,
        coalesce(bucketed.qty_2, 0) as qty_2,
        coalesce(bucketed.qty_3, 0) as qty_3,
        -- quantity no layer explains (should not happen) counts as oldest
        on_hand.qty_on_hand - coalesce(bucketed.qty_1, 0) - coalesce(bucketed.qty_2, 0)
            - coalesce(bucketed.qty_3, 0) as qty_4,
        round(cast(on_hand.stock_value * coalesce(bucketed.qty_1, 0) / on_hand.qty_on_hand
                   as numeric(38, 6)), 2) as cum_value_1,
        round(cast(on_hand.stock_value
                   * (coalesce(bucketed.qty_1, 0) + coalesce(bucketed.qty_2, 0))
                   / on_hand.qty_on_hand as numeric(38, 6)), 2) as cum_value_2,
        round(cast(on_hand.stock_value
                   * (coalesce(bucketed.qty_1, 0) + coalesce(bucketed.qty_2, 0)
                      + coalesce(bucketed.qty_3, 0))
                   / on_hand.qty_on_hand as numeric(38, 6)), 2) as cum_value_3
    from on_hand
    left join bucketed
        on on_hand.item_id = bucketed.item_id
        and on_hand.warehouse_id = bucketed.warehouse_id
    where on_hand.qty_on_hand > 0
),

idle as (
    select
        valued.*,
        last_sale.last_sale_date,
        {{ days_between('last_sale.last_sale_date', 'period.as_of_date') }}
            as days_since_last_sale,
        {{ days_between('coalesce(last_sale.last_sale_date, valued.first_movement_date)',
                        'period.as_of_date') }} as idle_days
    from valued
    cross join period
    left join last_sale
        on valued.item_id = last_sale.item_id
        and valued.warehouse_id = last_sale.warehouse_id
),

classified as (
    select
        idle.*,
        (
            select classes.movement_class
            from classes
            where classes.min_idle_days <= idle.idle_days
            order by classes.min_idle_days desc
            limit 1
        ) as movement_class
    from idle
)

select
    item_id,
    warehouse_id,
    {{ as_qty('qty_on_hand') }} as qty_on_hand,
    {{ as_money('stock_value') }} as stock_value,
    {{ as_money('cum_value_1') }} as bucket_0_30,
    {{ as_money('cum_value_2 - cum_value_1') }} as bucket_31_90,
    {{ as_money('cum_value_3 - cum_value_2') }} as bucket_91_180,
    {{ as_money('stock_value - cum_value_3') }} as bucket_181_plus,
    {{ as_qty('qty_1') }} as qty_0_30,
    {{ as_qty('qty_2') }} as qty_31_90,
    {{ as_qty('qty_3') }} as qty_91_180,
    {{ as_qty('qty_4') }} as qty_181_plus,
    last_sale_date,
    days_since_last_sale,
    idle_days,
    cast(movement_class as text) as movement_class
from classified
