"""Planning as Dagster assets after the marts: demand_forecast → replenishment_plan →
draft_purchase_orders, the `planning` job and its daily schedule (running by default).

They read the *published* warehouse (so they depend on the dbt marts they read and on
`warehouse/published`) and are not part of the `refresh` job (group `planning`).
"""

import dagster as dg

from pipelines.defs.assets import PUBLISHED_KEY
from pipelines.defs.resources import OltpResource, WarehouseResource

GROUP = "planning"
MARTS_READ = (
    "demand_daily",
    "stock_position",
    "abc_xyz",
    "supplier_item_performance",
    "dim_item",
    "fct_stock_daily",
    "open_sales_order_lines",
    "supplier_receipt_lines",
    "reorder_rule",
    "dim_supplier_item",
    "warehouse_snapshot",
    "fct_purchase_order_lines",
)


def make_planning_defs(dbt_defs: dg.AssetsDefinition):
    """(assets, job, schedule) wired to the dbt mart keys present in `dbt_defs`."""
    marts = [k for k in dbt_defs.keys if k.path[-1] in MARTS_READ]

    @dg.asset(group_name=GROUP, deps=[PUBLISHED_KEY, *marts], kinds={"python", "duckdb"})
    def demand_forecast(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        """Per item-warehouse daily forecast (model chosen by rolling-origin backtest)."""
        from pipelines.planning import forecast, load_inputs, new_run_id

        inputs = load_inputs(warehouse.published)
        result = forecast(inputs)
        context.log.info(f"qm plan: {len(result.series)} series forecast")
        context.add_output_metadata(
            {
                "series": len(result.series),
                "model_mix": str(result.series["chosen_model"].value_counts().to_dict()),
            }
        )
        return {"run_id": new_run_id(), "inputs": inputs, "result": result}

    @dg.asset(group_name=GROUP, kinds={"python"})
    def replenishment_plan(
        context: dg.AssetExecutionContext, demand_forecast: dict, warehouse: WarehouseResource
    ):
        """Order suggestions with their why (safety stock, position, rounding); the last
        run's safety stock is held while a new estimate is within its noise, as
        `qm plan` does (pipelines.planning.previous_plan)."""
        from forecasting import PLANNING_DEFAULTS
        from pipelines.planning import planning_path, previous_plan, replenish

        previous = previous_plan(planning_path(warehouse.published), PLANNING_DEFAULTS.fill_target)
        table = replenish(demand_forecast["inputs"], demand_forecast["result"], previous=previous)
        n = int((table["suggested_qty"].astype(float) > 0).sum())
        context.add_output_metadata(
            {
                "rows": len(table),
                "suggestions": n,
                "previous_plan_rows": 0 if previous is None else len(previous),
            }
        )
        return {**demand_forecast, "table": table}

    @dg.asset(group_name=GROUP, kinds={"python", "duckdb"})
    def draft_purchase_orders(
        context: dg.AssetExecutionContext,
        replenishment_plan: dict,
        oltp: OltpResource,
        warehouse: WarehouseResource,
    ) -> None:
        """Planning's draft POs (replacing its untouched ones) and planning.duckdb."""
        from forecasting import PLANNING_DEFAULTS
        from pipelines.planning import finish_run, planning_path

        p = replenishment_plan
        s = finish_run(
            p["run_id"],
            p["inputs"],
            p["result"],
            p["table"],
            oltp.url,
            planning_path(warehouse.published),
            simulate_on=warehouse.published,
            fill_target=PLANNING_DEFAULTS.fill_target,
        )
        context.log.info(
            f"qm plan: {s['drafts_created']} drafts created, "
            f"{s['drafts_replaced']} replaced, {s['drafts_kept']} kept"
        )
        context.add_output_metadata({k: str(v) for k, v in s.items()})

    assets = [demand_forecast, replenishment_plan, draft_purchase_orders]
    job = dg.define_asset_job(
        "planning",
        selection=dg.AssetSelection.groups(GROUP),
        executor_def=dg.in_process_executor,
        description="Forecast, plan replenishment, write draft POs.",
    )
    # 03:30, after the 02:00 nightly full refresh has published
    schedule = dg.ScheduleDefinition(
        name="planning_daily",
        job=job,
        cron_schedule="30 3 * * *",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    return assets, job, schedule
