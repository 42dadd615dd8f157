-- Every month end's trial balance nets to zero: Σ debit = Σ credit.
select
    month_end,
    sum(debit) as total_debit,
    sum(credit) as total_credit,
    sum(balance) as net
from {{ ref('trial_balance') }}
group by month_end
having sum(debit) <> sum(credit) or sum(balance) <> 0
