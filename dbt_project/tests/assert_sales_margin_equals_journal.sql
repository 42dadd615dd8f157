-- Revenue and COGS of sales_margin_monthly = the raw journal's document postings, month
-- by month: revenue = credit − debit of 4000 + 4100, COGS = debit − credit of 5000.
-- (Manual journal entries to those accounts appear on the income statement only; year-end
-- closing entries are on neither.)
with journal as (
    select
        {{ month_start('entries.posting_date') }} as "month",
        sum(case when lines.account_code in ('4000', '4100')
                 then lines.credit - lines.debit else 0 end) as revenue,
        sum(case when lines.account_code = '5000'
                 then lines.debit - lines.credit else 0 end) as cogs
    from {{ source('oltp', 'journal_line') }} as lines
    inner join {{ source('oltp', 'journal_entry') }} as entries on lines.entry_id = entries.id
    where entries.doc_type not in ('journal_entry', 'year_close')
    group by {{ month_start('entries.posting_date') }}
),

mart as (
    select "month", sum(revenue) as revenue, sum(cogs) as cogs
    from {{ ref('sales_margin_monthly') }}
    group by "month"
)

select
    coalesce(journal."month", mart."month") as "month",
    journal.revenue as journal_revenue,
    mart.revenue as mart_revenue,
    journal.cogs as journal_cogs,
    mart.cogs as mart_cogs
from journal
full outer join mart on journal."month" = mart."month"
where coalesce(journal.revenue, 0) <> coalesce(mart.revenue, 0)
   or coalesce(journal.cogs, 0) <> coalesce(mart.cogs, 0)
