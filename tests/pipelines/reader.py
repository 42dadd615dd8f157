"""A dashboard-like reader: short-lived read-only connections to the published warehouse
in a loop, one JSON line per query batch, until the stop file appears.

    python -m tests.pipelines.reader <warehouse.duckdb> <stop-file>
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb


def read_once(path: str) -> dict:
    """One batch of queries on one connection: the latest publish and two counts that
    agree inside any complete build (movements in the mart = rows in the raw ledger)."""
    with duckdb.connect(path, read_only=True) as con:
        run_id = con.execute(
            "SELECT run_id FROM meta.publish_log ORDER BY published_at DESC LIMIT 1"
        ).fetchone()[0]
        movements = con.execute(
            "SELECT sum(movements) FROM marts.inventory_turnover_monthly"
        ).fetchone()[0]
        ledger = con.execute("SELECT count(*) FROM raw.stock_ledger").fetchone()[0]
    return {"run_id": run_id, "movements": int(movements), "ledger": int(ledger)}


def main(path: str, stop_file: str) -> None:
    deadline = time.monotonic() + 600
    while not Path(stop_file).exists() and time.monotonic() < deadline:
        try:
            print(json.dumps(read_once(path)), flush=True)
        except Exception as exc:  # noqa: BLE001 - every error is what the test counts
            print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}), flush=True)
        time.sleep(0.01)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
