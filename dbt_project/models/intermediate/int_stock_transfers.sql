-- Stock-transfer headers, every status and transfer_state.
-- The one place that selects doc_type = 'stock_transfer' from the documents: models read this
-- instead of filtering stg_oltp__document again (docs/marts.md, "One model per document
-- type"). A view: a filter over a view, cheap everywhere.
{{ config(materialized='view') }}

select *
from {{ ref('stg_oltp__document') }}
where doc_type = 'stock_transfer'
