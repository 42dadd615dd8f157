-- When a document counts in the books: once on its date when posted, and a second time,
-- negated, on its cancel date when cancelled (the OLTP's reversing rows are dated so).
-- Summing lines × sign by booking date therefore matches the journal month by month.
with documents as (
    select * from {{ ref('stg_oltp__document') }}
),

originals as (
    select
        document_id,
        doc_type,
        doc_date as booking_date,
        1 as sign,
        false as is_cancellation
    from documents
    where status in ('posted', 'cancelled')
),

cancellations as (
    select
        document_id,
        doc_type,
        cancel_date as booking_date,
        -1 as sign,
        true as is_cancellation
    from documents
    where status = 'cancelled'
)

select * from originals
union all
select * from cancellations
