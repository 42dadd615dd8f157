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
