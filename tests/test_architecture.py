"""The import direction of docs/architecture.md, enforced.

The contracts live in pyproject.toml (`[tool.importlinter]`); `make lint` and `make test`
run `lint-imports` on them, and so does this test. A second test keeps the parts from
reaching into each other's private (underscore) names.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("qm", "demo", "transactional", "pipelines", "forecasting", "dashboards")


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    summary = [ln for ln in proc.stdout.splitlines() if ln.startswith("Contracts: ")]
    assert proc.returncode == 0 and summary and summary[0].endswith(" 0 broken."), (
        f"lint-imports failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    )


def test_contracts_cover_every_package():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert sorted(config["root_packages"]) == sorted(PACKAGES)
    sources = {m for c in config["contracts"] for m in c["source_modules"]}
    assert sources >= set(PACKAGES) - {"qm"}, "every part but the root has a contract"


def _private_imports(path: Path, own: str, root: Path = ROOT) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
            continue
        parts = node.module.split(".")
        if parts[0] not in PACKAGES or parts[0] == own:
            continue
        private = [p for p in parts if p.startswith("_") and not p.startswith("__")]
        private += [
            a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")
        ]
        if private:
            found.append(
                f"{path.relative_to(root)}:{node.lineno}: from {node.module} "
                f"import {', '.join(a.name for a in node.names)}"
            )
    return found


def test_no_package_imports_another_packages_private_names():
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found += _private_imports(path, package)
    assert not found, (
        "private names used across packages (make them public or move "
        "the code):\n" + "\n".join(found)
    )


def test_the_private_name_check_sees_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from transactional.config import _secret\nfrom qm import cli\n"
        "from transactional._internal import thing\n"
    )
    assert len(_private_imports(bad, "qm", tmp_path)) == 2
    assert _private_imports(bad, "transactional", tmp_path) == []


def test_qm_variables_are_read_only_through_settings():
    """Every `QM_*` variable is a field of the one `Settings` (transactional/config.py):
    no other module reads one from the environment itself."""
    pattern = re.compile(r"""(?:environ\.get|getenv|environ\[)\(?\s*["']QM_""")
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert not found, "QM_* read outside Settings:\n" + "\n".join(found)


def test_settings_follow_the_environment_and_qm_config_lists_them(monkeypatch, tmp_path, capsys):
    from qm.cli import main
    from qm.settings import Settings, settings

    monkeypatch.setenv("QM_PLANNING_PATH", str(tmp_path / "p.duckdb"))
    monkeypatch.setenv("QM_DBT_TARGET", "postgres")
    assert settings().planning_path == str(tmp_path / "p.duckdb")
    assert settings().dbt_target == "postgres"
    monkeypatch.delenv("QM_DBT_TARGET")
    assert settings().dbt_target == "duckdb"
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    for name, field in Settings.model_fields.items():
        assert f"QM_{name.upper()}" in out and field.description in out
    assert out.splitlines()[-1].startswith(f"qm config: {len(Settings.model_fields)} settings")
