-- One row per day of the reporting period.
with bounds as (
    select first_date, as_of_date
    from {{ ref('int_reporting_period') }}
    where first_date is not null
),

spine as (
    {{ date_spine('bounds', 'bounds.first_date', 'bounds.as_of_date') }}
)

select
    date_day,
    {{ month_start('date_day') }} as month_start,
    {{ month_end('date_day') }} as month_end,
    {{ week_start('date_day') }} as week_start
from spine
