-- Net stock movement per item, warehouse and posting day (reversals included: they are
-- real movements on their cancel date).
select
    item_id,
    warehouse_id,
    posting_date,
    sum(qty) as qty_change,
    sum(movement_value) as value_change,
    sum(case when qty > 0 then qty else 0 end) as qty_in,
    sum(case when qty < 0 then -qty else 0 end) as qty_out
from {{ ref('stg_oltp__stock_ledger') }}
group by item_id, warehouse_id, posting_date
