-- reconciliation: the stock ledger's value equals the inventory accounts of the GL
with stock as (select coalesce(sum(value), 0) as v from {{ ref('stg_oltp__stock_ledger') }}),
gl as (
    select coalesce(sum(debit - credit), 0) as v from {{ ref('stg_oltp__journal_line') }}
    where account_code in ('1200', '1210')
)
select stock.v as stock_value, gl.v as gl_value from stock, gl where stock.v <> gl.v
