"""A published warehouse for the planning tests, built in a third of a refresh's time:
the full extract, `dbt build` of the models and seeds only, then the refresh's own atomic
publish (meta.publish_log included). The dbt data and unit tests are what the refresh
adds; they run on every build in tests/dbt and tests/pipelines (test_refresh_real: the
real Dagster refresh, full and incremental), so the planning tests need not pay for them
four more times."""

from __future__ import annotations

import uuid
from pathlib import Path

from pipelines.extract import extract
from pipelines.publish import publish, run_dbt

MODELS_ONLY = ["build", "--exclude", "resource_type:test", "resource_type:unit_test"]


def publish_marts(oltp_url: str, warehouse: str | Path) -> dict:
    """Extract `oltp_url` in full, build the models and publish them at `warehouse`;
    returns the refresh-like summary (success, run_id, models, failures)."""
    warehouse = Path(warehouse)
    run_id = f"planning-test-{uuid.uuid4().hex[:12]}"
    build = warehouse.with_name(f"{warehouse.stem}.build-{run_id}{warehouse.suffix}")
    extract(oltp_url, build, full=True)
    summary = run_dbt(MODELS_ONLY, build_path=build)
    assert summary.success, summary.failures[:5]
    assert summary.models > 0 and summary.tests_passed == 0
    publish(build, warehouse, run_id, "full", 0, 0, "sqlite")
    return {"success": True, "run_id": run_id, "models": summary.models, "failures": []}
