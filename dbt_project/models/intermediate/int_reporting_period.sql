-- The span the warehouse reports on: from the first to the latest activity date in the
-- books, stock ledger or documents. `as_of_date` is "today" for every "latest" mart
-- (ageing, stock position, RFM): the OLTP may run on a simulated clock, so the data's
-- own latest date is used, never the machine's.
with document_dates as (
    select doc_date as activity_date
    from {{ ref('stg_oltp__document') }}
    where status in ('posted', 'approved', 'cancelled')
    union all
    select cancel_date
    from {{ ref('stg_oltp__document') }}
    where cancel_date is not null
),

ledger_dates as (
    select posting_date as activity_date from {{ ref('stg_oltp__stock_ledger') }}
    union all
    select posting_date from {{ ref('stg_oltp__journal_entry') }}
),

activity as (
    select activity_date from document_dates
    union all
    select activity_date from ledger_dates
)

select
    min(activity_date) as first_date,
    max(activity_date) as as_of_date
from activity
