-- ABC × XYZ per item and real warehouse, as of the latest date.
-- ABC: items ranked by COGS of the last 12 months (365 days to the as-of date) within
--   the warehouse; an item is A while the cumulative share of the items ranked above it
--   is below 80 %, B below 95 %, else C (seeds/abc_thresholds.csv). Items without COGS
--   are C.
-- XYZ: coefficient of variation (population std dev ÷ mean) of weekly demand over the
--   last 52 weeks — weeks of 7 days counted back from the as-of date, only weeks the
--   item-warehouse existed in — X ≤ 0.5 < Y ≤ 1.0 < Z (seeds/xyz_thresholds.csv); no
--   demand at all is Z.
with period as (
    select as_of_date from {{ ref('int_reporting_period') }}
),

demand as (
    select * from {{ ref('demand_daily') }}
),

cogs_12m as (
    select
        cogs.item_id,
        cogs.warehouse_id,
        sum(cogs.cogs) as cogs_12m
    from {{ ref('int_cogs_lines') }} as cogs
    cross join period
    where cogs.posting_date > {{ add_days('period.as_of_date', -365) }}
    group by cogs.item_id, cogs.warehouse_id
),

pairs as (
    select distinct item_id, warehouse_id from demand
),

ranked as (
    select
        pairs.item_id,
        pairs.warehouse_id,
        coalesce(cogs_12m.cogs_12m, 0) as cogs_12m,
        sum(greatest(coalesce(cogs_12m.cogs_12m, 0), 0)) over (
            partition by pairs.warehouse_id
        ) as warehouse_cogs,
        sum(greatest(coalesce(cogs_12m.cogs_12m, 0), 0)) over (
            partition by pairs.warehouse_id
            order by coalesce(cogs_12m.cogs_12m, 0) desc, pairs.item_id
            rows between unbounded preceding and 1 preceding
        ) as cogs_ranked_above
    from pairs
    left join cogs_12m
        on pairs.item_id = cogs_12m.item_id
        and pairs.warehouse_id = cogs_12m.warehouse_id
),

abc as (
    select
        ranked.*,
        coalesce({{ safe_divide('ranked.cogs_ranked_above', 'ranked.warehouse_cogs') }}, 0)
            as share_ranked_above
    from ranked
),

abc_classed as (
    select
        abc.*,
        case
            when abc.cogs_12m <= 0 then 'C'
            else (
                select t.abc_class
                from {{ ref('abc_thresholds') }} as t
                where abc.share_ranked_above < t.max_cumulative_share
                order by t.max_cumulative_share
                limit 1
            )
        end as abc_class
    from abc
),

weekly as (
    select
        demand.item_id,
        demand.warehouse_id,
        cast(floor({{ days_between('demand."date"', 'period.as_of_date') }} / 7) as integer)
            as weeks_back,
        sum(demand.demand_qty) as week_demand
    from demand
    cross join period
    where demand."date" > {{ add_days('period.as_of_date', -364) }}
    group by
        demand.item_id,
        demand.warehouse_id,
        cast(floor({{ days_between('demand."date"', 'period.as_of_date') }} / 7) as integer)
),

variability as (
    select
        item_id,
        warehouse_id,
        count(*) as weeks_observed,
        avg(week_demand) as weekly_demand_mean,
        stddev_pop(week_demand) as weekly_demand_std
    from weekly
    group by item_id, warehouse_id
),

xyz as (
    select
        variability.*,
        case
            when variability.weekly_demand_mean > 0
                then cast(variability.weekly_demand_std as numeric(38, 10))
                    / cast(variability.weekly_demand_mean as numeric(38, 10))
        end as demand_cv
    from variability
),

xyz_classed as (
    select
        xyz.*,
        coalesce((
            select t.xyz_class
            from {{ ref('xyz_thresholds') }} as t
            where t.max_cv is not null and xyz.demand_cv <= t.max_cv
            order by t.max_cv
            limit 1
        ), 'Z') as xyz_class
    from xyz
)

select
    abc_classed.item_id,
    abc_classed.warehouse_id,
    {{ as_money('abc_classed.cogs_12m') }} as cogs_12m,
    {{ as_ratio('abc_classed.share_ranked_above') }} as cumulative_share_before,
    cast(abc_classed.abc_class as text) as abc_class,
    cast(xyz_classed.weeks_observed as integer) as weeks_observed,
    {{ as_qty('xyz_classed.weekly_demand_mean') }} as weekly_demand_mean,
    {{ as_qty('xyz_classed.weekly_demand_std') }} as weekly_demand_std,
    {{ as_ratio('xyz_classed.demand_cv') }} as demand_cv,
    cast(xyz_classed.xyz_class as text) as xyz_class,
    cast(abc_classed.abc_class || xyz_classed.xyz_class as text) as abc_xyz_class
from abc_classed
inner join xyz_classed
    on abc_classed.item_id = xyz_classed.item_id
    and abc_classed.warehouse_id = xyz_classed.warehouse_id
