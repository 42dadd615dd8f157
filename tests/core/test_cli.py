"""The `qm` command line: db upgrade, check (both outcomes), user create."""

import hashlib
import os
import subprocess
import sys

from sqlalchemy import select, text

from tests.core.company import build_company
from transactional.db import make_engine, session_scope
from transactional.models import ApiToken


def qm(url, *args):
    env = {**os.environ, "QM_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "qm", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_upgrade_check_and_user_create(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    out = qm(url, "db", "upgrade")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1].startswith("qm db upgrade: schema at head")
    c = build_company(url)
    c.purchase([(c.item, "10", "5.00")])
    c.sell([(c.item, "4", "9.00")])
    ok = qm(url, "check")
    assert ok.returncode == 0 and "all 6 invariants hold" in ok.stdout
    created = qm(url, "user", "create", "pat", "--role", "planner")
    assert created.returncode == 0, created.stderr
    token = created.stdout.split("token: ", 1)[1].split()[0]
    with session_scope(url) as s:
        stored = s.execute(select(ApiToken.token_hash)).scalars().all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]  # only the hash is kept
    bad_role = qm(url, "user", "create", "sam", "--role", "emperor")
    assert bad_role.returncode == 2 and "role must be one of" in bad_role.stderr


def test_check_lists_violations_and_fails(tmp_path):
    url = f"sqlite:///{tmp_path / 'broken.sqlite'}"
    assert qm(url, "db", "upgrade").returncode == 0
    c = build_company(url)
    c.purchase([(c.item, "10", "5.00")])
    engine = make_engine(url)
    with engine.begin() as conn:  # corrupt the books behind the service's back
        conn.execute(text("UPDATE journal_line SET debit = debit + 1 WHERE debit > 0"))
    engine.dispose()
    out = qm(url, "check")
    assert out.returncode == 1
    assert "FAILED 1 every journal entry balances" in out.stdout
    assert "does not balance: debit 51.00 ≠ credit 50.00" in out.stdout
    assert "FAILED 2 GL inventory" in out.stdout
    assert out.stdout.strip().splitlines()[-1].startswith("qm check: 2 of 6 invariants violated")


def test_close_year_and_reopen(tmp_path):
    """`qm close-year 2025` posts the closing entry of the small company of
    test_year_close.py (net income 285.00) and prints one line; `--reopen` reverses it;
    a refusal (the current year, a year closed twice) writes nothing and exits 2."""
    import datetime as dt

    from tests.core.snapshot import snapshot
    from tests.core.test_year_close import post_2025

    url = f"sqlite:///{tmp_path / 'close.sqlite'}"
    assert qm(url, "db", "upgrade").returncode == 0
    post_2025(build_company(url))
    closed = qm(url, "close-year", "2025")
    assert closed.returncode == 0, closed.stderr
    assert closed.stdout.strip() == (
        "qm close-year 2025: posted YC-2025-00001, net income 285.00 to 3100 Retained earnings"
    )
    before = snapshot(url)
    twice = qm(url, "close-year", "2025")
    assert twice.returncode == 2 and "already closed by YC-2025-00001" in twice.stderr
    this_year = qm(url, "close-year", str(dt.date.today().year))
    assert this_year.returncode == 2 and "has not ended" in this_year.stderr
    assert snapshot(url) == before
    reopened = qm(url, "close-year", "2025", "--reopen", "--reason", "late bills")
    assert reopened.returncode == 0, reopened.stderr
    assert reopened.stdout.strip() == (
        "qm close-year 2025 --reopen: cancelled YC-2025-00001, reversal of net income "
        "285.00 posted on 2025-12-31; 2025 is open again"
    )
    again = qm(url, "close-year", "2025", "--reopen")
    assert again.returncode == 2 and "2025 is not closed" in again.stderr
    ok = qm(url, "check")
    assert ok.returncode == 0 and "all 6 invariants hold" in ok.stdout
