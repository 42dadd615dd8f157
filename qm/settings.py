"""The one `Settings` of Quartermaster (defined in transactional/config.py, the bottom
floor every package may import) and `qm config`, which lists every `QM_*` variable."""

from __future__ import annotations

import argparse
import os

from transactional.config import (
    Settings,
    data_dir,
    database_url,
    redact_url,
    settings,
    warehouse_path,
)

__all__ = ["Settings", "describe", "register", "settings"]


def _effective(name: str) -> str:
    """The value the code uses for field `name` (defaults resolved)."""
    s = settings()
    if name == "database_url":  # without creating the default's directory
        return redact_url(
            database_url() if s.database_url else f"sqlite:///{data_dir() / 'quartermaster.sqlite'}"
        )
    if name == "data_dir":
        return str(data_dir())
    if name == "warehouse_path":
        return str(warehouse_path())
    if name == "planning_path":
        return s.planning_path or str(warehouse_path().resolve().parent / "planning.duckdb")
    return str(getattr(s, name))


def describe() -> list[tuple[str, str, bool, str]]:
    """(variable, value in effect, set in the environment?, meaning) of every setting."""
    prefix = Settings.model_config.get("env_prefix", "")
    rows = []
    for name, field in Settings.model_fields.items():
        var = f"{prefix}{name}".upper()
        rows.append((var, _effective(name), var in os.environ, field.description or ""))
    return rows


def cmd_config(args: argparse.Namespace) -> int:
    rows = describe()
    width = max(len(var) for var, *_ in rows)
    for var, value, is_set, meaning in rows:
        print(f"{var:<{width}}  {value}  ({'set' if is_set else 'default'})")
        print(f"{'':<{width}}  {meaning}")
    n_set = sum(1 for _, _, is_set, _ in rows if is_set)
    print(
        f"qm config: {len(rows)} settings, {n_set} set in the environment, "
        f"{len(rows) - n_set} at their default"
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `config` to the `qm` parser."""
    sub.add_parser("config", help="print every QM_* setting, its value and meaning").set_defaults(
        func=cmd_config
    )
