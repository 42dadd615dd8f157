"""Master data: items, customers, suppliers, supplier-item terms, warehouses, carriers and
reorder rules — a searchable list and a form to add a row or change the selected one,
saved through the same typed commands and services as the API (dashboards/masterdata.py).
A refusal is shown under the field it names."""

from __future__ import annotations

import streamlit as st

from dashboards import masterdata as md
from dashboards import ui
from transactional.config import database_url
from transactional.db import session_scope
from transactional.errors import DomainError
from transactional.permissions import allowed

user = ui.page_setup("masterdata")
st.title("Master data")
url = database_url()
kinds = md.kinds_for(user["role"])
kind = st.segmented_control(
    "Kind", list(kinds), format_func=kinds.get, default=next(iter(kinds)), key="md_kind"
) or next(iter(kinds))
search = st.text_input("Search", key=f"md_search_{kind}", placeholder="code, SKU or name")
frame = md.rows(url, kind, search)
st.caption(f"{len(frame)} {kinds[kind].lower()}" + (f" matching {search!r}" if search else ""))
ui.table(frame.drop(columns=["id"], errors="ignore"), hide_index=True, height=320)
if done := st.session_state.pop("md_done", None):
    st.success(done, icon=":material/check:")

may_create, may_update = (
    allowed(user["role"], kind, "create"),
    allowed(user["role"], kind, "update"),
)
choices = ["(new)"] if may_create else []
records = frame.to_dict("records")
label_col = next((c for c in ("sku", "code") if c in frame.columns), None)
choices += (
    [
        f"{r[label_col]} – {r.get('name', '')}"
        if label_col
        else " / ".join(str(r[c]) for c in ("supplier_id", "item_id", "warehouse_id") if c in r)
        for r in records
    ]
    if may_update
    else []
)
if not choices:
    st.info(f"The {user['role']} role may only read {kinds[kind].lower()}.")
    st.stop()
picked = st.selectbox("Add or change", choices, key=f"md_pick_{kind}")
before = None if picked == "(new)" else records[choices.index(picked) - (1 if may_create else 0)]
errors: dict[str, str] = st.session_state.pop("md_errors", {})

with session_scope(url) as session:
    refs = {name: md.labels(session, model) for name, model in md.REFERENCES.items()}
with st.form(f"md_form_{kind}"):
    values = {}
    for f in md.form_fields(kind):
        label = f.name.replace("_", " ").capitalize() + (" *" if f.required else "")
        current = None if before is None else before.get(f.name)
        keyed = f"md_{kind}_{f.name}_{picked}"
        if f.kind == "reference":
            options = refs[f.name]
            ids = list(options)
            index = None
            if before is not None:
                index = next((i for i, v in enumerate(options.values()) if v == current), None)
            chosen = st.selectbox(
                label,
                ids,
                index=index,
                format_func=options.get,
                key=keyed,
                disabled=before is not None,
                help="fixed once the row exists" if before else None,
            )
            values[f.name] = chosen
        elif f.kind == "bool":
            values[f.name] = st.checkbox(
                label, value=True if current is None else bool(current), key=keyed
            )
        elif f.kind == "choice":
            options = ["", *f.choices]
            values[f.name] = (
                st.selectbox(
                    label,
                    options,
                    index=options.index(current) if current in options else 0,
                    key=keyed,
                )
                or None
            )
        else:
            values[f.name] = st.text_input(
                label,
                value="" if current is None else str(current),
                key=keyed,
                help=None if "string" in (f.help or "") else f.help,  # the API's advice
            )
        if f.name in errors:
            st.error(errors[f.name])
    if "" in errors:
        st.error(errors[""])
    if st.form_submit_button("Save" if before else "Add", type="primary"):
        data = md.command(kind, values, before)
        try:
            saved = md.save(
                url,
                user["username"],
                user["role"],
                kind,
                data,
                None if before is None else md.key_of(kind, before),
            )
        except DomainError as exc:
            found = {}
            for e in getattr(exc, "errors", None) or [{"field": exc.field, "message": exc.message}]:
                found.setdefault(str(e.get("field") or "").split(".")[0], e["message"])
            st.session_state["md_errors"] = found
            st.rerun()
        else:
            what = saved.get("sku") or saved.get("code") or f"#{saved.get('id')}"
            st.session_state["md_done"] = (
                f"{kinds[kind][:-1] if kinds[kind].endswith('s') else kinds[kind]} {what} "
                + ("saved" if before else "added")
                + (f" ({len(data)} field(s) changed)" if before else "")
            )
            st.rerun()
