"""Dagster resources: where the OLTP is and where the warehouse is published.

Injected into the assets (never read from globals inside them), so tests and
`qm refresh --oltp-url ...` point the same assets at other databases and files.
"""

from pathlib import Path

import dagster as dg

from pipelines.extract import url_kind
from pipelines.publish import build_path_for


class OltpResource(dg.ConfigurableResource):
    """The transactional database the extract reads (SQLite or PostgreSQL URL)."""

    url: str

    @property
    def kind(self) -> str:
        return url_kind(self.url)


class WarehouseResource(dg.ConfigurableResource):
    """The published DuckDB warehouse file; each run builds beside it."""

    path: str

    @property
    def published(self) -> Path:
        return Path(self.path).resolve()

    def build_path(self, run_id: str) -> Path:
        """The build file of run `run_id` (see pipelines/publish.py)."""
        return build_path_for(self.published, run_id)
