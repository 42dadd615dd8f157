-- Months of the reporting period; the first and last month are partial: the period of a
-- month is the part of it between the first activity date and the as-of date.
with calendar as (
    select * from {{ ref('int_calendar') }}
)

select
    month_start,
    month_end,
    min(date_day) as period_start,
    max(date_day) as period_end,
    cast(count(*) as integer) as days_in_period
from calendar
group by month_start, month_end
