"""The refresh as Dagster assets: extract → dbt build (models + tests) → publish.

Extract assets are keyed `["oltp", <table>]`, the keys dagster-dbt gives the dbt sources
of source `oltp`, so Dagster draws one graph from the OLTP tables to the marts. Every
step writes only its run's build file (`<warehouse>.build-<run_id>.duckdb`); the steps
share the `warehouse_writer` pool (limit 1 in dagster_home/dagster.yaml).
"""

import datetime as dt
import json
import os
import shutil
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext, redirect_stdout
from pathlib import Path

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from pipelines.defs.resources import OltpResource, WarehouseResource
from pipelines.extract import TABLES, extract
from pipelines.publish import (
    DbtSummary,
    dbt_env,
    discard,
    extract_mode,
    link_build,
    lock_for_run,
    prepare_build,
    publish,
    release_run_lock,
    save_partial_parse,
    summarize_run_results,
    unlink_build,
)

WRITER_POOL = "warehouse_writer"
VERBOSE_TAG = "quartermaster/verbose"  # "true": dbt's own log lines go to stdout
PUBLISHED_KEY = dg.AssetKey(["warehouse", "published"])


class RefreshConfig(dg.Config):
    """`full`: rebuild every raw table and model from scratch instead of incrementally."""

    full: bool = False


@dg.multi_asset(
    name="oltp_extract",
    specs=[
        dg.AssetSpec(
            ["oltp", t],
            group_name="oltp",
            kinds={"duckdb"},
            description=f"OLTP table `{t}` copied into the build file, schema raw",
        )
        for t in TABLES
    ],
    can_subset=False,  # one consistent OLTP snapshot for every table
    pool=WRITER_POOL,
)
def oltp_extract(
    context: dg.AssetExecutionContext,
    config: RefreshConfig,
    oltp: OltpResource,
    warehouse: WarehouseResource,
):
    """Start the run's build file and copy the OLTP into its raw schema."""
    lock_for_run(warehouse.published)  # until publish, or the end of the run's process
    try:
        build = prepare_build(warehouse.published, context.run.run_id, config.full)
        # nothing published yet: the build starts empty, so this extract is a full one
        full = config.full or not build.exists()
        why = " (no warehouse published yet)" if full and not config.full else ""
        context.log.info(f"qm extract: {'full' if full else 'incremental'}{why} into {build}")
        counts = extract(oltp.url, build, full=full, progress=context.log.debug)
    except BaseException:
        release_run_lock(warehouse.published)
        raise
    context.log.info(f"qm extract: {sum(counts.values())} rows copied from {oltp.kind}")
    for table in TABLES:
        yield dg.MaterializeResult(
            asset_key=["oltp", table], metadata={"rows_copied": counts[table]}
        )


@contextmanager
def _environ(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the dbt subprocess (the profile reads them)."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _quiet(events: Iterator, sink) -> Iterator:
    """`events`, with what producing each one writes to stdout sent to `sink` instead
    (stdout is redirected only inside each step, not while the caller handles an event)."""
    while True:
        with redirect_stdout(sink):
            try:
                event = next(events)
            except StopIteration:
                return
        yield event


def dbt_log_path(published: Path) -> Path:
    """The last refresh's dbt log (dbt's own lines), beside the published warehouse."""
    return published.with_name(f"{published.stem}.dbt.log")


def summary_path(build: Path) -> Path:
    """Where the dbt step leaves its test counts for the publish step."""
    return build.with_name(build.name + ".dbt.json")


def make_dbt_assets(project: DbtProject) -> dg.AssetsDefinition:
    """`@dbt_assets` over the parsed project; dbt tests become asset checks."""

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        name="warehouse_dbt",
        dagster_dbt_translator=DagsterDbtTranslator(),
        pool=WRITER_POOL,
    )
    def warehouse_dbt(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
    ):
        """`dbt build` (models, seeds and tests) against this run's build file."""
        build = warehouse.build_path(context.run.run_id)
        context.log.info(f"qm dbt build: against {build}")
        link = link_build(build, warehouse.published)
        # dagster-dbt writes every dbt log line to stdout (~1 line per node): into the
        # dbt log file beside the warehouse unless the run asks for them (qm refresh
        # --verbose); the progress lines below are what a terminal shows
        verbose = context.run.tags.get(VERBOSE_TAG) == "true"
        log_path = dbt_log_path(warehouse.published)
        try:
            with (
                _environ(dbt_env(link, dbt.target or "duckdb")),
                nullcontext(None) if verbose else open(log_path, "w") as log,
            ):
                invocation = dbt.cli(["build"], context=context, raise_on_error=False)
                events = invocation.stream() if log is None else _quiet(invocation.stream(), log)
                for done, event in enumerate(events, start=1):
                    if done % 50 == 0:
                        context.log.info(f"qm dbt build: {done} results")
                    yield event
        finally:
            unlink_build(warehouse.published)
        results = invocation.get_artifact("run_results.json")
        summary = summarize_run_results(results, invocation.is_successful())
        if invocation.is_successful():
            save_partial_parse(invocation.target_path, project.project_dir)
        shutil.rmtree(invocation.target_path, ignore_errors=True)  # one dir per invocation
        summary_path(build).write_text(json.dumps(summary.__dict__))
        context.log.info(
            f"qm dbt build: {summary.models} models, {summary.tests_passed} "
            f"tests passed, {summary.tests_failed} failed"
        )
        if not summary.success:
            release_run_lock(warehouse.published)
            raise dg.Failure(
                description="dbt build failed; the warehouse is not published",
                metadata={"failures": "\n".join(summary.failures[:50])},
            )

    return warehouse_dbt


def make_publish_asset(dbt_defs: dg.AssetsDefinition) -> dg.AssetsDefinition:
    """The atomic swap of the tested build over the published warehouse."""

    @dg.asset(
        key=PUBLISHED_KEY,
        deps=[dbt_defs],
        group_name="publish",
        pool=WRITER_POOL,
        kinds={"duckdb"},
        freshness_policy=dg.FreshnessPolicy.time_window(
            fail_window=dt.timedelta(hours=2), warn_window=dt.timedelta(minutes=75)
        ),
    )
    def published_warehouse(
        context: dg.AssetExecutionContext, oltp: OltpResource, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        """Log the publish in meta.publish_log and rename the build over the published file."""
        build = warehouse.build_path(context.run.run_id)
        sidecar = summary_path(build)
        summary = DbtSummary(**json.loads(sidecar.read_text()))
        if not summary.success:  # dbt step failed: never reached, kept as a guard
            discard(build)
            raise dg.Failure("dbt build failed; not publishing")
        mode = extract_mode(build)
        try:
            path = publish(
                build,
                warehouse.published,
                context.run.run_id,
                mode,
                summary.tests_passed,
                summary.tests_failed,
                oltp.kind,
            )
        finally:
            release_run_lock(warehouse.published)
        sidecar.unlink(missing_ok=True)
        context.log.info(f"qm publish: {path} ({mode})")
        return dg.MaterializeResult(
            metadata={
                "path": str(path),
                "mode": mode,
                "models": summary.models,
                "tests_passed": summary.tests_passed,
                "tests_failed": summary.tests_failed,
                "published_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
        )

    return published_warehouse


def freshness_checks() -> list[dg.AssetChecksDefinition]:
    """The published warehouse is at most two hours old (hourly refresh + slack), as an
    asset check evaluated by a sensor (the policy on the asset drives the UI badge)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "superseded" by FreshnessPolicy, still supported
        return list(
            dg.build_last_update_freshness_checks(
                assets=[PUBLISHED_KEY], lower_bound_delta=dt.timedelta(hours=2)
            )
        )
