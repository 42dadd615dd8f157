-- One row: how far the OLTP documents in this warehouse reach (the highest document
-- change_seq extracted, and when that document last changed) and the span of dates the
-- books cover. Planning records the change_seq with its run, and the statements API
-- names it: OLTP changes after it are not in the marts.
with documents as (
    select change_seq, updated_at from {{ ref('stg_oltp__document') }}
),

latest as (
    select max(change_seq) as change_seq from documents
),

period as (
    select first_date, as_of_date from {{ ref('int_reporting_period') }}
)

select
    cast(latest.change_seq as bigint) as document_change_seq,
    (
        select cast(max(documents.updated_at) as timestamp)
        from documents
        where documents.change_seq = latest.change_seq
    ) as document_changed_at,
    period.first_date as data_from,
    period.as_of_date as data_through
from latest
cross join period
