"""Planning: the draft purchase orders planning proposed, grouped by supplier and
warehouse, each line with its why; approve, edit quantities or reject with a reason, one
by one or in bulk; decision history and acceptance rate; forecast accuracy; the policy
simulation. Decisions go through the service layer as the signed-in user."""

from __future__ import annotations

from decimal import Decimal

import streamlit as st

from dashboards import access, planning_actions, planning_views, ui
from dashboards import fmt as f

user = ui.page_setup("planning")
can_decide = access.may_decide_purchase_orders(user["role"])
can_edit = access.may_edit_purchase_orders(user["role"])
as_of = ui.as_of()
st.title("Planning")

flash = st.session_state.pop("planning_flash", None)
if flash:
    for msg in flash.done:
        st.success(msg, icon=":material/check_circle:")
    for msg in flash.failed:
        st.error(msg, icon=":material/block:")


def _act(outcome: planning_actions.Outcome, verb: str) -> None:
    """Remember what happened for the next run and reload the drafts."""
    done = [f"{verb} {n}" for n in outcome.done]
    st.session_state["planning_flash"] = planning_actions.Outcome(done, outcome.failed)
    st.rerun()


tab_drafts, tab_hist, tab_acc, tab_sim = st.tabs(
    ["Draft orders", "Decisions", "Forecast accuracy", "Policy simulation"]
)

with tab_drafts:
    lines = planning_actions.draft_lines()
    if lines.empty:
        ui.empty_state(
            "No planning drafts waiting",
            planning_views.NOT_RUN
            if not ui.has_table(planning_views.PLAN)
            else "The last planning run suggested no orders, or every suggestion has "
            "been decided; the next `qm plan` run proposes new ones.",
        )
    else:
        lines["net_amount"] = lines["net_amount"].astype(float)
        docs = (
            lines.groupby(
                [
                    "document_id",
                    "number",
                    "supplier",
                    "warehouse",
                    "warehouse_id",
                    "doc_date",
                    "expected_date",
                    "planning_run_id",
                    "planner_touched",
                ],
                as_index=False,
            )
            .agg(lines=("line_id", "count"), value=("net_amount", "sum"))
            .sort_values(["supplier", "warehouse", "number"])
        )
        c = st.columns(4)
        c[0].metric("Draft orders", f"{len(docs):,}")
        c[1].metric("Lines", f"{len(lines):,}")
        c[2].metric("Value", f.money(docs["value"].sum()))
        c[3].metric("Suppliers", f"{docs['supplier'].nunique():,}")
        if not (can_decide or can_edit):
            st.caption(f"The {user['role']} role may look but not decide.")
        ui.table(
            docs[
                [
                    "supplier",
                    "warehouse",
                    "number",
                    "lines",
                    "value",
                    "doc_date",
                    "expected_date",
                    "planning_run_id",
                    "planner_touched",
                ]
            ],
            hide_index=True,
            column_config=ui.number_config(["value"]),
        )
        label = {
            r.document_id: f"{r.number} · {r.supplier} → {r.warehouse} ({f.money(r.value)})"
            for r in docs.itertuples()
        }

        if can_decide:
            with st.expander("Decide in bulk", icon=":material/done_all:"):
                chosen = st.multiselect(
                    "Draft orders",
                    list(docs["document_id"]),
                    key="plan_bulk_docs",
                    format_func=label.get,
                )
                b1, b2 = st.columns([1, 2])
                if b1.button(
                    "Approve selected", type="primary", key="plan_bulk_approve", disabled=not chosen
                ):
                    _act(planning_actions.approve(user, chosen), "Approved")
                reason = b2.text_input("Reason for rejecting", key="plan_bulk_reason")
                if b2.button("Reject selected", key="plan_bulk_reject", disabled=not chosen):
                    if not reason.strip():
                        st.error("Give a reason to reject.")
                    else:
                        _act(planning_actions.reject(user, chosen, reason), "Rejected")

        st.subheader("One order")
        doc_id = st.selectbox(
            "Draft order", list(docs["document_id"]), key="plan_doc", format_func=label.get
        )
        doc = docs[docs["document_id"] == doc_id].iloc[0]
        mine = lines[lines["document_id"] == doc_id].copy()
        plan = planning_views.plan_rows(
            list(mine["item_id"]), int(doc["warehouse_id"]), doc["planning_run_id"]
        )
        plan_by_item = {int(r["item_id"]): r for _, r in plan.iterrows()}
        mine["why"] = [
            plan_by_item[i]["why"] if i in plan_by_item and "why" in plan else ""
            for i in mine["item_id"]
        ]
        mine["item"] = mine["sku"] + " – " + mine["item_name"]
        ui.table(
            mine[["line_no", "item", "qty", "unit_price", "net_amount", "why"]],
            hide_index=True,
            column_config={
                **ui.number_config(["qty", "unit_price", "net_amount"]),
                "why": st.column_config.TextColumn("Why", width="large"),
            },
        )
        a1, a2, a3 = st.columns(3)
        if can_decide:
            if a1.button(
                "Approve", type="primary", key="plan_one_approve", icon=":material/check:"
            ):
                _act(planning_actions.approve(user, [doc_id]), "Approved")
            reason = a2.text_input(
                "Reason", key="plan_one_reason", placeholder="e.g. supplier on hold"
            )
            if a2.button("Reject", key="plan_one_reject", icon=":material/close:"):
                if not reason.strip():
                    st.error("Give a reason to reject.")
                else:
                    _act(planning_actions.reject(user, [doc_id], reason), "Rejected")
        if can_edit:
            line_label = {
                int(r.line_id): f"{r.line_no}. {r.item} ({f.qty(r.qty)})" for r in mine.itertuples()
            }
            line_id = a3.selectbox(
                "Line", list(line_label), key="plan_edit_line", format_func=line_label.get
            )
            current = float(mine[mine["line_id"] == line_id]["qty"].iloc[0])
            new_qty = a3.number_input(
                "New quantity (0 drops the line)",
                min_value=0.0,
                value=current,
                step=1.0,
                key=f"plan_qty_{line_id}",
            )
            if a3.button(
                "Save quantity",
                key="plan_edit_save",
                icon=":material/edit:",
                disabled=new_qty == current,
            ):
                _act(
                    planning_actions.edit_quantities(
                        user, doc_id, {line_id: Decimal(str(new_qty))}
                    ),
                    "Edited",
                )

        st.markdown("**Why this quantity**")
        why_line = st.selectbox(
            "Explain line",
            list(mine["item_id"]),
            key="plan_explain",
            format_func=dict(zip(mine["item_id"], mine["item"])).get,
        )
        planning_views.explain_line(
            int(why_line), int(doc["warehouse_id"]), plan_by_item.get(int(why_line)), as_of
        )

with tab_hist:
    planning_views.decision_history()
with tab_acc:
    planning_views.forecast_accuracy()
with tab_sim:
    planning_views.policy_simulation()
