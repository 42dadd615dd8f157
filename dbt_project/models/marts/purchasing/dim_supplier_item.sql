-- Supplier-item terms (price, quoted lead time, MOQ, pack size) with the measured lead
-- time of supplier_item_performance. planning_lead_time_days / _std_days are what
-- planning sizes orders with: the measured mean and std where at least 2 receipts were
-- seen, else the quoted lead time and 0.
with terms as (
    select * from {{ ref('stg_oltp__supplier_item') }}
),

suppliers as (
    select supplier_id from {{ ref('stg_oltp__supplier') }}
),

performance as (
    select * from {{ ref('supplier_item_performance') }}
)

select
    terms.supplier_item_id,
    terms.supplier_id,
    terms.item_id,
    {{ as_money('terms.price') }} as unit_price,
    cast(terms.lead_time_days as integer) as quoted_lead_time_days,
    {{ as_qty('terms.moq') }} as moq,
    {{ as_qty('terms.pack_size') }} as pack_size,
    cast(performance.receipts as integer) as receipts,
    cast(performance.lead_time_mean_days as numeric(18, 2)) as lead_time_mean_days,
    cast(performance.lead_time_std_days as numeric(18, 2)) as lead_time_std_days,
    cast(case
        when performance.receipts >= 2 then performance.lead_time_mean_days
        else terms.lead_time_days
    end as numeric(18, 2)) as planning_lead_time_days,
    cast(case
        when performance.receipts >= 2 then performance.lead_time_std_days
        else 0
    end as numeric(18, 2)) as planning_lead_time_std_days
from terms
inner join suppliers on terms.supplier_id = suppliers.supplier_id
left join performance
    on terms.supplier_id = performance.supplier_id
    and terms.item_id = performance.item_id
