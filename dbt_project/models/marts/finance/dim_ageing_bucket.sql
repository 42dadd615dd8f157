-- The ageing buckets of open items (seeds/ageing_buckets.csv) by days overdue, after the
-- bucket of items not yet due (due date after the as-of date).
select
    cast('not_yet_due' as text) as bucket,
    0 as bucket_order,
    cast(null as integer) as min_days,
    cast(null as integer) as max_days,
    true as is_not_yet_due
union all
select
    cast(bucket as text),
    cast(bucket_order as integer),
    cast(min_days as integer),
    cast(max_days as integer),
    false
from {{ ref('ageing_buckets') }}
where ageing_kind = 'open_item'
