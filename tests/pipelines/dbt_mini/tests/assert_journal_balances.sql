-- reconciliation: total debits equal total credits
select sum(debit) - sum(credit) as diff from {{ ref('trial_balance') }}
having sum(debit) <> sum(credit)
