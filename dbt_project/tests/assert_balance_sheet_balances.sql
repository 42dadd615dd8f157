-- Assets = liabilities + equity (current earnings included) at every month end.
select
    month_end,
    sum(case when statement_line = 'total_assets' then amount else 0 end) as assets,
    sum(case when statement_line in ('total_liabilities', 'total_equity') then amount else 0 end)
        as liabilities_and_equity
from {{ ref('balance_sheet_monthly') }}
where is_total
group by month_end
having sum(case when statement_line = 'total_assets' then amount else 0 end)
    <> sum(case when statement_line in ('total_liabilities', 'total_equity') then amount
                else 0 end)
