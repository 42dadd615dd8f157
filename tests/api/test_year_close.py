"""The year-end close over HTTP (POST /year-closes, POST /year-closes/{id}/cancel), on
SQLite and PostgreSQL: finance closes 2025 of the small company of
tests/core/test_year_close.py (net income 285.00, worked out there) and reopens it;
other roles, unfinished years and bad input are refused with the database unchanged."""

from __future__ import annotations

from tests.api.test_errors import assert_problem
from tests.core.snapshot import snapshot
from tests.core.test_year_close import post_2025, rent
from transactional.check import run_checks
from transactional.db import session_scope
from transactional.models import Document


def accounts(api, as_of: str) -> dict[str, str]:
    tb = api.ok("GET", f"/reports/trial-balance?as_of={as_of}", role="finance")
    assert tb["balanced"]
    return {a["code"]: a["balance"] for a in tb["accounts"]}


def test_close_and_reopen_a_year_over_http(api):
    post_2025(api.company)
    close = "/year-closes?post=true"
    before = snapshot(api.url)
    # only finance and admin close the books
    for role in ("sales", "manager", "warehouse"):
        assert_problem(api.post(close, {"year": 2025}, role=role), 403, "year_close:create")
    # a year that has not ended (the API's clock is 2026-01-05), and what is not a year
    body = assert_problem(
        api.post(close, {"year": 2026}, role="finance"), 422, "year_ended", "year"
    )
    assert "2027-01-01" in body["detail"]
    assert_problem(api.post(close, {"year": "2025x"}, role="finance"), 422, "int_parsing", "year")
    assert_problem(api.post(close, {"year": 2025.5}, role="finance"), 422, "int_from_float", "year")
    assert_problem(api.post(close, {}, role="finance"), 422, "missing", "year")
    assert_problem(
        api.post(close, {"year": 1066}, role="finance"), 422, "greater_than_equal", "year"
    )
    assert_problem(
        api.post(close, {"year": 2025, "doc_date": "2025-12-31"}, role="finance"),
        422,
        "extra_forbidden",
        "doc_date",
    )
    assert snapshot(api.url) == before, "refused requests must write nothing"

    # finance closes 2025: the closing entry, dated 31 December, moves 285.00 to 3100
    r = api.post(close, {"year": 2025}, role="finance", key="close-2025")
    assert r.status_code == 201, r.text
    yc = r.json()
    assert (yc["number"], yc["doc_date"], yc["status"], yc["net_total"]) == (
        "YC-2025-00001",
        "2025-12-31",
        "posted",
        "285.00",
    )
    replay = api.post(close, {"year": 2025}, role="finance", key="close-2025")
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.json() == yc
    assert api.count(Document, Document.doc_type == "year_close") == 1
    entry = api.ok("GET", "/journal?doc_type=year_close", role="finance")["items"]
    assert [(e["posting_date"], e["is_reversal"]) for e in entry] == [("2025-12-31", False)]
    assert sorted((ln["account_code"], ln["debit"], ln["credit"]) for ln in entry[0]["lines"]) == [
        ("3100", "0.00", "285.00"),
        ("4000", "1000.00", "0.00"),
        ("5000", "0.00", "400.00"),
        ("6000", "0.00", "15.00"),
        ("6110", "0.00", "300.00"),
    ]
    balances = accounts(api, "2025-12-31")
    assert balances["3100"] == "-285.00"
    assert {balances[a] for a in ("4000", "5000", "6000", "6110")} == {"0.00"}

    # 2025 is locked, and closed once only
    before = snapshot(api.url)
    late = {**rent("5.00"), "doc_date": "2025-12-15"}
    assert_problem(
        api.post("/journal-entries?post=true", late, role="finance"),
        409,
        "period_closed",
        "doc_date",
    )
    assert_problem(api.post(close, {"year": 2025}, role="finance"), 409, "year_not_closed", "year")
    # reopening is finance's too, and only on the close's own date
    assert_problem(api.post(f"/year-closes/{yc['id']}/cancel", {}, role="sales"), 403)
    assert_problem(
        api.post(f"/year-closes/{yc['id']}/cancel", {"cancel_date": "2026-01-05"}, role="finance"),
        422,
        "reversed_on_year_end",
        "cancel_date",
    )
    assert snapshot(api.url) == before

    # reopen: the exact reversal on 31 December; 2025 takes postings again
    reopened = api.ok(
        "POST", f"/year-closes/{yc['id']}/cancel", {"reason": "late bills"}, role="finance"
    )
    assert (reopened["status"], reopened["cancel_date"]) == ("cancelled", "2025-12-31")
    entries = api.ok("GET", "/journal?doc_type=year_close", role="finance")["items"]
    assert [(e["posting_date"], e["is_reversal"]) for e in entries] == [
        ("2025-12-31", False),
        ("2025-12-31", True),
    ]
    assert sorted(
        (ln["account_code"], ln["debit"], ln["credit"]) for ln in entries[1]["lines"]
    ) == [
        ("3100", "285.00", "0.00"),
        ("4000", "0.00", "1000.00"),
        ("5000", "400.00", "0.00"),
        ("6000", "15.00", "0.00"),
        ("6110", "300.00", "0.00"),
    ]
    assert accounts(api, "2025-12-31")["3100"] == "0.00"
    api.ok("POST", "/journal-entries?post=true", late, role="finance", status=201)

    # every step is in the audit log, by its user
    log = api.ok("GET", "/audit?entity=year_close", role="manager")["items"]
    assert sorted((a["action"], a["document_number"], a["username"]) for a in log) == [
        ("cancel", "YC-2025-00001", "api-finance"),
        ("create", "YC-2025-00001", "api-finance"),
        ("post", "YC-2025-00001", "api-finance"),
    ]
    with session_scope(api.url) as s:
        assert {k: v for k, v in run_checks(s).items() if v} == {}
