select * from {{ source('oltp', 'stock_ledger') }}
