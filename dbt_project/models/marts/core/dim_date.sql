select
    date_day as "date",
    month_start as "month",
    month_end,
    week_start,
    cast(extract(year from date_day) as integer) as year,
    cast(extract(month from date_day) as integer) as month_of_year,
    cast(extract(isodow from date_day) as integer) as iso_day_of_week
from {{ ref('int_calendar') }}
