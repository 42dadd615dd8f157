select jl.*, je.posting_date
from {{ source('oltp', 'journal_line') }} as jl
inner join {{ source('oltp', 'journal_entry') }} as je on je.id = jl.entry_id
