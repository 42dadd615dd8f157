"""The nightly backup: a Dagster job around `transactional.backup.backup_rotating`.

`backup_job` writes a verified, time-stamped backup of the OLTP database (the `oltp`
resource's URL) into `QM_BACKUP_DIR` (default backups/ under `QM_DATA_DIR`) and keeps
the `QM_BACKUP_KEEP` newest (default 7); `backup_schedule` runs it at 01:30 every night,
before the nightly full refresh.
"""

import dagster as dg

from pipelines.defs.resources import OltpResource
from transactional.backup import backup_rotating, read_manifest
from transactional.config import backup_dir, settings


@dg.op(
    description="A time-stamped backup of the OLTP database with its manifest; keeps "
    "the QM_BACKUP_KEEP newest in QM_BACKUP_DIR."
)
def oltp_backup(context: dg.OpExecutionContext, oltp: OltpResource) -> str:
    path, removed = backup_rotating(oltp.url, backup_dir(), settings().backup_keep)
    tables = read_manifest(path)["tables"]
    context.log.info(
        f"backup: {path} ({len(tables)} tables, "
        f"{sum(t['rows'] for t in tables.values())} rows), "
        f"{len(removed)} older backup(s) removed"
    )
    return str(path)


@dg.job(description="Nightly backup of the OLTP database (transactional.backup).")
def backup_job():
    oltp_backup()


backup_schedule = dg.ScheduleDefinition(
    name="backup_nightly",
    job=backup_job,
    cron_schedule="30 1 * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
