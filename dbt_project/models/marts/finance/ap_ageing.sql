-- Payables ageing as of the latest date: one row per supplier × open item — posted
-- supplier bills with an open amount (gross − paid), and the credits that reduce what
-- is owed (debit notes from purchase returns, unallocated payments; negative amounts).
-- Σ open_amount per supplier = its GL 2000 balance (credit).
{{ open_item_ageing('supplier') }}
