-- Receivables ageing as of the latest date: one row per customer × open item — posted
-- invoices with an open amount (gross − paid), and the credits that reduce the
-- customer's balance (credit notes, unallocated payments; negative amounts). Days
-- overdue count from the due date (0 while not due); credits age from their own date.
-- Σ open_amount per customer = its GL 1100 balance.
{{ open_item_ageing('customer') }}
