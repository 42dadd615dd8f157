"""A stand-in for `pipelines.commands.refresh`: the tables of docs/marts.md computed by plain
SQL from a small OLTP database. Used by the dashboard tests only when the real refresh is
not importable (e.g. while pipelines/ and dbt_project/ are being built), so the tests
always read a warehouse with the contract's schema. Definitions are deliberately simple."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
from sqlalchemy import create_engine

RAW_TABLES = ("account", "item", "warehouse", "customer", "supplier", "supplier_item",
              "carrier", "app_user", "document", "document_line", "planner_decision",
              "stock_balance", "stock_ledger", "journal_entry", "journal_line", "audit_log")

MARTS_SQL = """
create table marts.dim_item as select id item_id, sku, name item_name, category, unit,
  pack_size, moq, list_price, active from raw.item;
create table marts.dim_warehouse as select id warehouse_id, code warehouse_code,
  name warehouse_name from raw.warehouse;
create table marts.dim_customer as select id customer_id, code customer_code,
  name customer_name, region, credit_limit, payment_terms_days from raw.customer;
create table marts.dim_supplier as select id supplier_id, code supplier_code,
  name supplier_name, payment_terms_days, default_lead_time_days from raw.supplier;
create temp table as_of as select max(doc_date)::date d from raw.document
  where status in ('posted','approved');
create temp table spine as select unnest(range((select min(posting_date) from
  raw.stock_ledger)::date, (select d from as_of) + 1, interval 1 day))::date date;
create temp table pairs as select distinct item_id, warehouse_id from raw.stock_ledger;
create table marts.fct_stock_daily as
with moves as (select item_id, warehouse_id, posting_date::date date, sum(qty) q,
  sum(value) v from raw.stock_ledger group by all)
select s.date, p.item_id, p.warehouse_id,
  sum(coalesce(m.q,0)) over w qty_on_hand, sum(coalesce(m.v,0)) over w stock_value
from spine s cross join pairs p left join moves m using (date, item_id, warehouse_id)
window w as (partition by p.item_id, p.warehouse_id order by s.date);
create table marts.inventory_turnover_monthly as
with inv as (select date_trunc('month', date)::date as "month", item_id, warehouse_id,
  avg(stock_value) avg_inventory_value from marts.fct_stock_daily group by all),
c as (select date_trunc('month', posting_date)::date as "month", item_id, warehouse_id,
  -sum(value) cogs from raw.stock_ledger where doc_type in ('delivery','sales_return')
  group by all)
select inv.month, inv.item_id, i.category, inv.warehouse_id, coalesce(c.cogs,0) cogs,
  inv.avg_inventory_value,
  case when inv.avg_inventory_value > 0 then coalesce(c.cogs,0)*12/inv.avg_inventory_value end
    turnover,
  case when coalesce(c.cogs,0) > 0 then inv.avg_inventory_value*365/(c.cogs*12) end
    days_of_inventory
from inv left join c using (month, item_id, warehouse_id) join raw.item i on i.id=inv.item_id;
create table marts.demand_daily as
with d as (select h.doc_date::date date, l.item_id, h.warehouse_id,
  sum(l.qty + l.lost_qty) demand_qty, sum(l.lost_qty) lost_qty
  from raw.document h join raw.document_line l on l.document_id=h.id
  where h.doc_type='sales_order' and h.status='posted' group by all),
s as (select h.doc_date::date date, l.item_id, h.warehouse_id, sum(l.qty) shipped_qty
  from raw.document h join raw.document_line l on l.document_id=h.id
  where h.doc_type='delivery' and h.status='posted' group by all)
select f.date, f.item_id, f.warehouse_id, coalesce(d.demand_qty,0) demand_qty,
  coalesce(s.shipped_qty,0) shipped_qty, coalesce(d.lost_qty,0) lost_qty,
  (coalesce(d.lost_qty,0) > 0 or f.qty_on_hand <= 0) is_stockout, false promo
from marts.fct_stock_daily f left join d using (date, item_id, warehouse_id)
  left join s using (date, item_id, warehouse_id);
create table marts.stockout_days as
select date_trunc('month', date)::date as "month", d.item_id, d.warehouse_id,
  count(*) filter (where is_stockout) stockout_days, sum(lost_qty) lost_qty,
  sum(lost_qty*i.list_price) lost_revenue
from marts.demand_daily d join raw.item i on i.id=d.item_id group by all;
create table marts.stock_ageing as
with last as (select * from marts.fct_stock_daily where date=(select d from as_of)),
inc as (select item_id, warehouse_id, max(posting_date)::date last_in from raw.stock_ledger
  where qty > 0 group by all),
sale as (select item_id, warehouse_id, max(posting_date)::date last_sale
  from raw.stock_ledger where doc_type='delivery' group by all),
x as (select last.*, (select d from as_of) - inc.last_in age,
  (select d from as_of) - sale.last_sale days_since_last_sale
  from last left join inc using (item_id, warehouse_id) left join sale using (item_id,
  warehouse_id))
select item_id, warehouse_id, qty_on_hand, stock_value,
  case when age <= 30 then stock_value else 0 end bucket_0_30,
  case when age between 31 and 90 then stock_value else 0 end bucket_31_90,
  case when age between 91 and 180 then stock_value else 0 end bucket_91_180,
  case when age > 180 then stock_value else 0 end bucket_181_plus,
  days_since_last_sale,
  case when days_since_last_sale is null or days_since_last_sale > 180 then 'dead'
       when days_since_last_sale > 90 then 'slow' else 'active' end movement_class
from x;
create table marts.abc_xyz as
with c as (select item_id, warehouse_id, sum(cogs) cogs_12m
  from marts.inventory_turnover_monthly
  where month > (select d from as_of) - interval 12 month group by all),
r as (select *, sum(cogs_12m) over (order by cogs_12m desc, item_id, warehouse_id)
  / nullif(sum(cogs_12m) over (), 0) cum from c),
m as (select item_id, warehouse_id, date_trunc('month', date) mo, sum(demand_qty) q
  from marts.demand_daily group by all),
v as (select item_id, warehouse_id, stddev_pop(q)/nullif(avg(q),0) demand_cv from m
  group by all)
select r.item_id, r.warehouse_id, r.cogs_12m,
  case when cum <= 0.8 then 'A' when cum <= 0.95 then 'B' else 'C' end abc_class,
  v.demand_cv,
  case when v.demand_cv is null or v.demand_cv > 1 then 'Z' when v.demand_cv > 0.5 then 'Y'
  else 'X' end xyz_class
from r left join v using (item_id, warehouse_id);
create table marts.sales_margin_monthly as
with rev as (select date_trunc('month', h.doc_date)::date as "month", l.item_id, h.customer_id,
  sum(case when h.doc_type='sales_return' then -l.net_amount else l.net_amount end) revenue,
  sum(case when h.doc_type='sales_return' then -l.qty else l.qty end) qty
  from raw.document h join raw.document_line l on l.document_id=h.id
  where h.doc_type in ('sales_invoice','sales_return') and h.status='posted' group by all),
cg as (select date_trunc('month', h.doc_date)::date as "month", l.item_id, h.customer_id,
  sum(case when h.doc_type='sales_return' then -1 else 1 end * l.qty * l.unit_cost) cogs
  from raw.document h join raw.document_line l on l.document_id=h.id
  where h.doc_type in ('delivery','sales_return') and h.status='posted' group by all)
select month, item_id, i.category, customer_id, c.region, coalesce(revenue,0) revenue,
  coalesce(cogs,0) cogs, coalesce(revenue,0)-coalesce(cogs,0) gross_margin,
  (coalesce(revenue,0)-coalesce(cogs,0))/nullif(revenue,0) gross_margin_pct,
  coalesce(qty,0) qty
from rev full join cg using (month, item_id, customer_id)
  join raw.item i on i.id=item_id join raw.customer c on c.id=customer_id;
create table marts.purchase_price_variance as
select date_trunc('month', e.posting_date)::date as "month", jl.supplier_id, jl.item_id,
  sum(jl.debit - jl.credit) ppv
from raw.journal_line jl join raw.journal_entry e on e.id=jl.entry_id
where jl.account_code='5100' group by all;
create table marts.delivery_performance as
select d.id delivery_id, d.carrier_id, c.region, date_trunc('month', d.doc_date)::date as "month",
  so.expected_date::date promised_date, d.delivered_on::date delivered_on,
  d.delivered_on <= so.expected_date on_time, true in_full,
  d.delivered_on <= so.expected_date otif, d.freight_cost, d.net_total revenue,
  d.freight_cost/nullif(d.net_total,0) freight_pct_of_revenue
from raw.document d join raw.document so on so.id=d.source_document_id
  join raw.customer c on c.id=d.customer_id
where d.doc_type='delivery' and d.status='posted';
create table marts.supplier_performance as
with r as (select g.supplier_id, g.id, (g.doc_date::date - po.doc_date::date) lead_days,
  g.doc_date <= po.expected_date on_time,
  (select sum(qty) from raw.document_line where document_id=g.id) acc,
  (select sum(rejected_qty) from raw.document_line where document_id=g.id) rej,
  (select sum(qty) from raw.document_line where document_id=po.id) ordered
  from raw.document g join raw.document po on po.id=g.source_document_id
  where g.doc_type='goods_receipt' and g.status='posted')
select supplier_id, count(*) receipts, avg(on_time::int) on_time_rate,
  avg(lead_days) lead_time_mean_days, coalesce(stddev_pop(lead_days),0) lead_time_std_days,
  sum(acc)/sum(ordered) fill_rate, sum(rej)/nullif(sum(acc+rej),0) qc_reject_rate
from r group by all;
create table marts.customer_rfm as
with x as (select customer_id, (select d from as_of) - max(doc_date)::date recency_days,
  count(*) frequency, sum(net_total) monetary from raw.document
  where doc_type='sales_invoice' and status='posted' group by all),
s as (select *, ntile(5) over (order by recency_days desc) r_score,
  ntile(5) over (order by frequency) f_score, ntile(5) over (order by monetary) m_score
  from x)
select *, case when r_score >= 4 and f_score >= 4 then 'Champions'
  when r_score >= 3 then 'Loyal' when r_score = 2 then 'At risk' else 'Lost' end segment
from s;
create temp table month_ends as select (m + interval 1 month - interval 1 day)::date
  month_end from (select unnest(range(date_trunc('month', (select min(posting_date)
  from raw.journal_entry)), (select d from as_of) + 1, interval 1 month)) m);
create table marts.trial_balance as
with jl as (select e.posting_date::date d, jl.account_code, jl.debit, jl.credit
  from raw.journal_line jl join raw.journal_entry e on e.id=jl.entry_id)
select me.month_end, a.code account_code, a.name account_name, a.account_type,
  sum(jl.debit) debit, sum(jl.credit) credit, sum(jl.debit) - sum(jl.credit) balance
from month_ends me cross join raw.account a join jl on jl.account_code=a.code
  and jl.d <= me.month_end group by all;
create table marts.income_statement_monthly as
with p as (select date_trunc('month', e.posting_date)::date as "month", jl.account_code,
  sum(jl.credit - jl.debit) amt from raw.journal_line jl
  join raw.journal_entry e on e.id=jl.entry_id group by all),
l as (select month, case when account_code='4000' then 10 when account_code='4100' then 20
  when account_code='5000' then 30 when account_code='5100' then 40
  when account_code='5200' then 50 when account_code='6000' then 60 else 70 end line_order,
  amt from p join raw.account a on a.code=p.account_code
  where a.account_type in ('income','expense'))
select month, line_order, case line_order when 10 then 'Sales revenue'
  when 20 then 'Sales returns' when 30 then 'Cost of goods sold'
  when 40 then 'Purchase price variance' when 50 then 'Inventory adjustments'
  when 60 then 'Freight out' else 'Operating expenses' end statement_line, sum(amt) amount
from l group by all
union all select month, 100, 'Net income', sum(amt) from l group by all;
create table marts.balance_sheet_monthly as
with t as (select * from marts.trial_balance)
select month_end, case account_type when 'asset' then 'assets' when 'liability' then
  'liabilities' else 'equity' end section, row_number() over (partition by month_end
  order by account_code)::int line_order, account_name statement_line,
  case when account_type='asset' then balance else -balance end amount
from t where account_type in ('asset','liability','equity')
union all select month_end, 'equity', 999, 'Current-year earnings', -sum(balance)
from t where account_type in ('income','expense') group by all;
create table marts.cash_flow_monthly as
with c as (select date_trunc('month', e.posting_date)::date as "month", e.doc_type,
  sum(jl.debit - jl.credit) amt from raw.journal_line jl
  join raw.journal_entry e on e.id=jl.entry_id where jl.account_code='1000' group by all)
select month, 'direct' as method, case when doc_type='customer_payment' then 10
  when doc_type='supplier_payment' then 20 else 30 end line_order,
  case when doc_type='customer_payment' then 'Receipts from customers'
  when doc_type='supplier_payment' then 'Payments to suppliers'
  else 'Other cash movements' end line, sum(amt) amount from c group by all
union all select month, 'direct', 100, 'Net change in cash', sum(amt) from c group by all;
create table marts.ar_ageing as
select customer_id, id document_id, number, due_date::date due_date,
  gross_total - paid_amount open_amount,
  greatest((select d from as_of) - due_date::date, 0) days_overdue,
  case when (select d from as_of) - due_date::date <= 30 then '0-30'
  when (select d from as_of) - due_date::date <= 60 then '31-60'
  when (select d from as_of) - due_date::date <= 90 then '61-90' else '90+' end bucket
from raw.document where doc_type='sales_invoice' and status='posted'
  and gross_total > paid_amount;
create table marts.ap_ageing as
select supplier_id, id document_id, number, due_date::date due_date,
  gross_total - paid_amount open_amount,
  greatest((select d from as_of) - due_date::date, 0) days_overdue,
  case when (select d from as_of) - due_date::date <= 30 then '0-30'
  when (select d from as_of) - due_date::date <= 60 then '31-60'
  when (select d from as_of) - due_date::date <= 90 then '61-90' else '90+' end bucket
from raw.document where doc_type='supplier_bill' and status='posted'
  and gross_total > paid_amount;
create table marts.stock_position as
with oo as (select l.item_id, h.warehouse_id, sum(l.qty - l.received_qty) on_order
  from raw.document h join raw.document_line l on l.document_id=h.id
  where h.doc_type='purchase_order' and h.status='approved'
  and h.fulfilment_status <> 'closed' group by all),
cm as (select l.item_id, h.warehouse_id, sum(l.qty - l.delivered_qty) as "committed"
  from raw.document h join raw.document_line l on l.document_id=h.id
  where h.doc_type='sales_order' and h.status='posted'
  and h.fulfilment_status <> 'closed' group by all)
select b.item_id, b.warehouse_id, b.qty on_hand, coalesce(on_order,0) on_order,
  coalesce("committed",0) as "committed", b.qty - coalesce("committed",0) available,
  b.value stock_value
from raw.stock_balance b left join oo using (item_id, warehouse_id)
  left join cm using (item_id, warehouse_id);
"""


def build_contract_warehouse(oltp_url: str, path: Path, run_id: str = "contract-1") -> Path:
    """Write a DuckDB file at `path` with raw, marts and meta.publish_log (one row)."""
    engine = create_engine(oltp_url)
    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        for schema in ("raw", "marts", "meta"):
            con.execute(f"create schema {schema}")
        for table in RAW_TABLES:
            frame = pd.read_sql_table(table, engine)
            if table == "app_user":
                frame = frame.drop(columns=["password_hash"])
            con.register("frame", frame)
            con.execute(f"create table raw.{table} as select * from frame")
            con.unregister("frame")
        for statement in MARTS_SQL.split(";"):
            if statement.strip():
                con.execute(statement)
        con.execute("create table meta.publish_log (run_id varchar, published_at timestamp, "
                    "mode varchar, checks_passed boolean, tests_passed int, tests_failed int, "
                    "oltp_url_kind varchar)")
        con.execute("insert into meta.publish_log values (?, ?, 'full', true, 1, 0, ?)",
                    [run_id, dt.datetime.now().replace(microsecond=0),
                     "postgresql" if oltp_url.startswith("postgres") else "sqlite"])
    finally:
        con.close()
        engine.dispose()
    tmp.replace(path)
    return path
