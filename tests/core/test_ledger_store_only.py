"""Only transactional/ledger/store.py writes the books. Every other module of the project
(transactional/, pipelines/, dashboards/, forecasting/, qm/, demo/) is scanned for writes
to journal_entry, journal_line and stock_ledger: ORM constructors of their model classes
(which is how `session.add` gets them), SQLAlchemy insert/update/delete on the classes or
their tables, bulk ORM writes, and raw SQL text. The scanner is tested on violations too,
so this cannot pass by finding nothing."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from transactional.models import Base

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("transactional", "pipelines", "dashboards", "forecasting", "qm", "demo")
STORE = ROOT / "transactional" / "ledger" / "store.py"
TABLES = {"journal_entry", "journal_line", "stock_ledger"}
CLASSES = {m.class_.__name__ for m in Base.registry.mappers if m.local_table.name in TABLES}

WRITE_CALLS = {"insert", "update", "delete"}  # insert(X), X.__table__.insert() …
BULK_CALLS = {"bulk_insert_mappings", "bulk_update_mappings"}
SQL = re.compile(
    r"\b(?:insert\s+(?:or\s+\w+\s+)?into|update|delete\s+from"
    r"|truncate(?:\s+table)?|copy)\s+(?:only\s+)?(?:[\"`]?public[\"`]?\.)?"
    r"[\"`]?(" + "|".join(sorted(TABLES)) + r")\b",
    re.IGNORECASE,
)


def _names_protected(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """The protected class or table `node` names: `JournalLine`, `models.JournalLine`,
    `JL` (imported as), `JournalLine.__table__`, `metadata.tables["journal_line"]`,
    `table("journal_line")`."""
    if isinstance(node, ast.Name) and aliases.get(node.id, node.id) in CLASSES:
        return aliases.get(node.id, node.id)
    if isinstance(node, ast.Attribute):
        if node.attr in CLASSES:
            return node.attr
        if node.attr == "__table__":
            return _names_protected(node.value, aliases)
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.slice, ast.Constant)
        and node.slice.value in TABLES
    ):
        return node.slice.value
    if (
        isinstance(node, ast.Call)
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and node.args[0].value in TABLES
    ):
        return node.args[0].value
    return None


def _callee(node: ast.Call) -> str | None:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def _strings(tree: ast.AST):
    """Every string literal with its line; f-strings with their holes as `{}`."""
    inside_fstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = [v.value if isinstance(v, ast.Constant) else "{}" for v in node.values]
            inside_fstrings.update(id(v) for v in node.values)
            yield node.lineno, "".join(str(p) for p in parts)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in inside_fstrings
        ):
            yield node.lineno, node.value


def scan_source(source: str, filename: str) -> list[str]:
    """Violations in one module's source, as 'file:line: what'."""
    tree = ast.parse(source, filename)
    aliases = {
        a.asname: a.name
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom)
        for a in n.names
        if a.asname
    }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _callee(node)
        target = None
        if _names_protected(node.func, aliases) and name in CLASSES | set(aliases):
            target = f"{_names_protected(node.func, aliases)}(…) constructs a row"
        elif name in WRITE_CALLS:
            f = node.func
            if node.args and _names_protected(node.args[0], aliases):  # insert(JournalLine)
                target = f"{name}({_names_protected(node.args[0], aliases)})"
            elif isinstance(f, ast.Attribute) and _names_protected(f.value, aliases):
                target = f"{_names_protected(f.value, aliases)}.{name}()"  # X.__table__.insert()
        elif name in BULK_CALLS and node.args and _names_protected(node.args[0], aliases):
            target = f"{name}({_names_protected(node.args[0], aliases)})"
        if target:
            found.append((node.lineno, f"{filename}:{node.lineno}: {target}"))
    for line, text in _strings(tree):
        for m in SQL.finditer(text):
            found.append((line, f"{filename}:{line}: raw SQL {m.group(0)!r}"))
    return [f for _, f in sorted(found)]


def python_files(root: Path = ROOT) -> list[Path]:
    """The project's modules under the scanned folders, except the store."""
    return [
        path
        for top in SCANNED
        if (root / top).is_dir()
        for path in sorted((root / top).rglob("*.py"))
        if path.resolve() != STORE and ".venv" not in path.parts
    ]


def scan_tree(root: Path = ROOT) -> list[str]:
    found = []
    for path in python_files(root):
        found += scan_source(path.read_text(encoding="utf-8"), str(path.relative_to(root)))
    return found


def test_the_protected_classes_come_from_the_models():
    assert CLASSES == {"JournalEntry", "JournalLine", "StockLedgerEntry"}


def test_only_the_store_writes_the_books():
    scanned = {str(p.relative_to(ROOT)) for p in python_files()}
    assert {
        "transactional/services/documents.py",
        "transactional/services/sales.py",
        "transactional/ledger/valuation.py",
        "pipelines/extract.py",
    } <= scanned
    assert len(scanned) > 50
    found = scan_tree()
    assert found == [], "writes to the books outside transactional/ledger/store.py:\n" + "\n".join(
        found
    )


def test_the_store_itself_is_what_the_scanner_would_flag():
    """The store does write the tables, and the scanner sees it: it is exempt, not blind."""
    found = scan_source(STORE.read_text(encoding="utf-8"), "store.py")
    assert any("JournalEntry.insert()" in f for f in found)
    assert any("JournalLine.insert()" in f for f in found)
    assert any("StockLedgerEntry.insert()" in f for f in found)
    assert any("JournalEntry(…)" in f for f in found)


VIOLATIONS = """
from sqlalchemy import insert, update, delete, text
from transactional import models
from transactional.models import JournalEntry, JournalLine as JL, StockLedgerEntry

def bad(session, conn, metadata):
    session.add(JournalEntry(document_id=1))                          # 7
    session.add_all([JL(account_code="1000")])                        # 8
    session.execute(insert(JL).values(debit=1))                       # 9
    session.execute(update(StockLedgerEntry).values(value=0))         # 10
    session.execute(delete(models.JournalLine))                       # 11
    conn.execute(StockLedgerEntry.__table__.insert(), {})             # 12
    conn.execute(metadata.tables["journal_line"].delete())            # 13
    session.bulk_insert_mappings(JournalEntry, [{}])                  # 14
    conn.execute(text("UPDATE journal_line SET debit = 0"))           # 15
    conn.execute(text('insert into "journal_entry" (id) values (1)'))  # 16
    conn.execute(f"DELETE FROM stock_ledger WHERE id = {1}")          # 17
    conn.execute("TRUNCATE public.journal_entry")                     # 18
"""

FINE = """
from sqlalchemy import select, func, insert
from transactional.models import JournalEntry, JournalLine, StockBalance, AuditLog

def reads(session, con, table):
    session.execute(select(JournalEntry).where(JournalEntry.id == 1))
    session.execute(select(func.sum(JournalLine.debit)))
    session.execute(insert(AuditLog).values(action="x"))
    con.execute("INSERT INTO raw.journal_line SELECT * FROM src")   # the warehouse copy
    con.execute(f"INSERT INTO raw.{table} VALUES (1)")
    con.execute("select * from stock_ledger where id > 1")
    "update the journal_line docs"
"""


def test_the_scanner_catches_every_kind_of_write():
    found = scan_source(VIOLATIONS, "bad.py")
    assert [int(f.split(":")[1]) for f in found] == list(range(7, 19)), "\n".join(found)
    assert found[0] == "bad.py:7: JournalEntry(…) constructs a row"
    assert all(f.startswith("bad.py:") for f in found)


def test_the_scanner_passes_reads_and_other_tables():
    assert scan_source(FINE, "fine.py") == []


def test_a_violating_file_in_the_tree_is_named(tmp_path):
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "sneaky.py").write_text(
        "from transactional.models import JournalLine\n\n"
        "def f(s):\n    s.add(JournalLine(account_code='1000'))\n"
    )
    assert scan_tree(tmp_path) == ["pipelines/sneaky.py:4: JournalLine(…) constructs a row"]
