"""The warehouse contract: Python outside the extract reads marts, never `raw.*`.

The raw schema is the extract's copy of the OLTP tables, shaped like the OLTP: every
reader that queried it repeated the OLTP's filters (doc_type, status) and broke when the
OLTP changed. Dashboards, planning, the CLI and the demo read the dbt marts (contracts
enforced, docs/marts.md); only the modules that load and publish the warehouse touch
`raw`. This scans the SQL in every string literal of the project's Python.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("qm", "demo", "transactional", "pipelines", "dashboards", "forecasting")
# the modules that load the raw schema (extract from SQLite / PostgreSQL) and check it
# when publishing (the extract state)
ALLOWED = {"pipelines/extract.py", "pipelines/extract_pg.py", "pipelines/publish.py"}

# a table of schema raw after from / join (quoted or not), or a catalogue lookup of it
RAW_SQL = re.compile(
    r"""\b(?:from|join)\s+"?raw"?\s*\.\s*"?[a-z_]"""
    r"""|\btable_schema\s*=\s*'raw'""",
    re.IGNORECASE,
)


def _strings(tree: ast.AST):
    """(line, text) of every string literal; an f-string's literal parts joined with a
    placeholder for each {…}, so `f"from raw.{table}"` is still seen."""
    parts = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts.update(id(v) for v in node.values)
            yield (
                node.lineno,
                "".join(
                    v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "x"
                    for v in node.values
                ),
            )
        elif (
            isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in parts
        ):
            yield node.lineno, node.value


def raw_reads(source: str) -> list[tuple[int, str]]:
    """(line, SQL excerpt) of each string literal in `source` that reads schema raw."""
    hits = []
    for line, text in _strings(ast.parse(source)):
        for match in RAW_SQL.finditer(text):
            hits.append((line, text[max(0, match.start() - 20) : match.end() + 30]))
    return hits


def project_raw_reads(root: Path = ROOT) -> dict[str, list[tuple[int, str]]]:
    """{relative path: raw reads} over the project's Python, allowed modules left out."""
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if rel in ALLOWED or "/." in rel:
                continue
            hits = raw_reads(path.read_text(encoding="utf-8"))
            if hits:
                found[rel] = hits
    return found


def test_no_python_outside_the_extract_reads_raw():
    assert project_raw_reads() == {}, (
        "read the marts (docs/marts.md, 'No raw outside the extract'), not raw.*"
    )


def test_the_allowed_modules_are_the_loaders():
    # extract.py and extract_pg.py write raw (extract_pg through a schema variable, so
    # the scanner sees no `raw.` there) and publish.py reads its extract state
    assert all((ROOT / rel).is_file() for rel in ALLOWED)
    assert raw_reads((ROOT / "pipelines/extract.py").read_text(encoding="utf-8"))
    assert raw_reads((ROOT / "pipelines/publish.py").read_text(encoding="utf-8"))


def test_the_scanner_catches_raw_reads():
    planted = """
import duckdb
con = duckdb.connect("w.duckdb")
a = con.execute("select * from raw.document where doc_type = 'delivery'")
b = con.execute("select l.qty from marts.x m "
                "join raw.document_line l on l.id = m.id")
table = "item"
c = con.execute(f"select count(*) from RAW.{table}")
d = con.execute('select * from "raw"."supplier"')
e = con.execute("select 1 from information_schema.tables where table_schema = 'raw'")
"""
    assert [line for line, _ in raw_reads(planted)] == [4, 5, 8, 9, 10]


def test_the_scanner_leaves_marts_and_prose_alone():
    clean = '''
"""Reads marts.stock_position; the raw copy is the extract's (raw.document in prose)."""
frame = raw.columns
x = con.execute("select * from marts.fct_stock_ledger l join marts.dim_item i using (item_id)")
y = "draw.x from rawness"
'''
    assert raw_reads(clean) == []


def test_the_project_scan_finds_a_planted_file(tmp_path):
    (tmp_path / "dashboards" / "pages").mkdir(parents=True)
    (tmp_path / "dashboards" / "pages" / "bad.py").write_text(
        'q = "select sum(qty) from raw.stock_ledger"\n', encoding="utf-8"
    )
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "extract.py").write_text(
        'q = "insert into raw.document select 1"\n', encoding="utf-8"
    )
    found = project_raw_reads(tmp_path)
    assert list(found) == ["dashboards/pages/bad.py"]
    assert found["dashboards/pages/bad.py"][0][0] == 1
