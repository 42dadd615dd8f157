-- Both cash-flow methods end in the same net change in cash, equal to closing − opening
-- cash, and each month opens where the previous one closed.
with lines as (
    select * from {{ ref('cash_flow_monthly') }}
),

by_method as (
    select
        "month",
        method,
        sum(case when line = 'net_change_in_cash' then amount else 0 end) as net_change,
        sum(case when line = 'opening_cash' then amount else 0 end) as opening_cash,
        sum(case when line = 'closing_cash' then amount else 0 end) as closing_cash
    from lines
    group by "month", method
),

checked as (
    select
        by_method.*,
        lag(closing_cash) over (partition by method order by "month") as previous_closing
    from by_method
)

select *
from checked
where net_change <> closing_cash - opening_cash
   or opening_cash <> coalesce(previous_closing, 0)
   or net_change <> (
       select other.net_change from by_method as other
       where other."month" = checked."month" and other.method = 'direct')
