-- Delivery (shipment) headers, every status.
-- The one place that selects doc_type = 'delivery' from the documents: models read this
-- instead of filtering stg_oltp__document again (docs/marts.md, "One model per document
-- type"). A view: a filter over a view, cheap everywhere.
{{ config(materialized='view') }}

select *
from {{ ref('stg_oltp__document') }}
where doc_type = 'delivery'
