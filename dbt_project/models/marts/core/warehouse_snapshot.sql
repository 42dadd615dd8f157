-- One row: how far the OLTP documents in this warehouse reach (the highest document
-- change_seq extracted). Planning records it with its run: OLTP changes after it are not
-- in the positions it planned from.
select cast(max(change_seq) as bigint) as document_change_seq
from {{ ref('stg_oltp__document') }}
