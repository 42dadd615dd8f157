-- fct_gl_daily summed up to every month end = the trial balance's balance of each account
-- then (the statements at any date and the monthly marts read the same books).
with daily as (
    select
        balances.month_end,
        balances.account_code,
        balances.balance,
        coalesce(sum(gl.net_amount), 0) as daily_balance
    from {{ ref('trial_balance') }} as balances
    left join {{ ref('fct_gl_daily') }} as gl
        on balances.account_code = gl.account_code
        and balances.month_end >= gl.posting_date
    group by balances.month_end, balances.account_code, balances.balance
)

select * from daily
where balance <> daily_balance
