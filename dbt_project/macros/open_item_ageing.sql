{#- AR and AP ageing share one shape: open items of one party kind, aged as of the
    reporting date into the `open_item` buckets of seeds/ageing_buckets.csv. -#}
{% macro open_item_ageing(party_kind) -%}
with open_items as (
    select * from {{ ref('int_open_items') }}
    where party_kind = '{{ party_kind }}'
),

period as (
    select as_of_date from {{ ref('int_reporting_period') }}
),

buckets as (
    select * from {{ ref('ageing_buckets') }}
    where ageing_kind = 'open_item'
),

aged as (
    select
        open_items.*,
        period.as_of_date,
        greatest({{ days_between('open_items.due_date', 'period.as_of_date') }}, 0)
            as days_overdue
    from open_items
    cross join period
)

select
    aged.{{ party_kind }}_id,
    aged.document_id,
    cast(aged.document_number as text) as number,
    cast(aged.doc_type as text) as doc_type,
    cast(aged.item_kind as text) as item_kind,
    aged.doc_date,
    aged.due_date,
    aged.as_of_date,
    {{ as_money('aged.open_amount') }} as open_amount,
    cast(aged.days_overdue as integer) as days_overdue,
    cast(buckets.bucket as text) as bucket
from aged
inner join buckets
    on (buckets.min_days is null or aged.days_overdue >= buckets.min_days)
    and (buckets.max_days is null or aged.days_overdue <= buckets.max_days)
{%- endmacro %}
