"""`qm plan [--as-of] [--fill-target]`, `qm plan simulate [--sweep] [--json]` and
`qm plan backfill [--weeks 8]`.

The replay itself lives in `pipelines.simulation` (a library; this is only the command
line): the business's reorder rules and the planning policy in one simulator over the
last 182 days, planning swept over aggregate fill-rate targets (docs/planning.md). The
backfill of past plans for realised accuracy lives in `pipelines.plan_accuracy`
(docs/forecasting.md, "Realised accuracy and forecast value added").
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time

from forecasting import DEFAULT_FILL_TARGET, DEFAULT_REPLICATIONS
from forecasting.simulate import DEFAULT_TARGETS
from pipelines.planning import planning_path, run_planning, summary_line, write_outputs
from pipelines.simulation import (
    POLICY_WARM_UP_DAYS,
    WINDOW_DAYS,
    simulate,
    simulation_frame,
    table_text,
)


def _cmd_backfill(args) -> int:
    from pipelines import plan_accuracy

    try:
        s = plan_accuracy.backfill(args.warehouse, weeks=args.weeks, progress=print)
    except (FileNotFoundError, ValueError) as exc:
        print(f"backfill: failed: {exc}", file=sys.stderr)
        return 2
    print(plan_accuracy.summary_line(s))
    return 0


def _cmd_plan(args) -> int:
    if getattr(args, "plan_cmd", None) == "backfill":
        return _cmd_backfill(args)
    if getattr(args, "plan_cmd", None) == "simulate":
        t0 = time.perf_counter()
        targets = DEFAULT_TARGETS if args.sweep else (args.fill_target,)
        say = (lambda m: print(m, file=sys.stderr)) if args.json else print
        result, notes = simulate(
            args.warehouse,
            days=args.days,
            targets=targets,
            seed=args.seed,
            progress=say,
            warm_up=args.warm_up,
            replications=args.replications,
        )
        frame = simulation_frame(result, notes)
        frame["planning_run_id"] = None
        frame["created_at"] = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        out = planning_path(args.warehouse)
        write_outputs(out, {"policy_simulation": frame})
        red = result["inventory_reduction_at_equal_fill"]
        line = (
            f"simulate: {result['series']} series over {result['window_days']} days, "
            f"{len(targets)} target(s): inventory reduction at equal fill "
            + (f"{red:.1%}" if red is not None else "n/a")
            + (f" (pooled over {args.replications} replications)" if args.replications > 1 else "")
            + f"; {time.perf_counter() - t0:.1f} s → {out}"
        )
        if args.json:
            print(json.dumps(result, indent=2))
            print(line, file=sys.stderr)
        else:
            print(table_text(result, notes))
            print(line)
        return 0
    s = run_planning(
        args.oltp_url,
        args.warehouse,
        as_of=args.as_of,
        progress=print,
        fill_target=args.fill_target,
    )
    print(summary_line(s))
    return 0


def _target(text: str) -> float:
    value = float(text)
    if not 0.5 <= value < 1:
        raise argparse.ArgumentTypeError(
            f"fill target {text}: must be between 0.5 and 1 (e.g. 0.97)"
        )
    return value


def _replications(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 50:
        raise argparse.ArgumentTypeError(f"--replications {text}: must be between 1 and 50")
    return value


def _weeks(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 26:
        raise argparse.ArgumentTypeError(
            f"--weeks {text}: must be between 1 and 26 (the forecast log keeps 182 days)"
        )
    return value


def register(sub) -> None:
    """Add `plan` (and `plan simulate`, `plan backfill`) to the `qm` command line."""
    p = sub.add_parser("plan", help="forecast demand, plan replenishment, write draft POs")
    p.add_argument("--as-of", help="plan as of this date (demand history cut; YYYY-MM-DD)")
    p.add_argument("--oltp-url", help="OLTP database URL (default QM_DATABASE_URL)")
    p.add_argument("--warehouse", help="published DuckDB file (default QM_WAREHOUSE_PATH)")
    p.add_argument(
        "--fill-target",
        type=_target,
        default=DEFAULT_FILL_TARGET,
        help=f"aggregate fill-rate target (default {DEFAULT_FILL_TARGET})",
    )
    p.set_defaults(func=_cmd_plan, plan_cmd=None)
    ps = p.add_subparsers(dest="plan_cmd")
    s = ps.add_parser("simulate", help="replay the reorder rules and the planning policy")
    s.add_argument("--warehouse", help="published DuckDB file (default QM_WAREHOUSE_PATH)")
    s.add_argument(
        "--days", type=int, default=WINDOW_DAYS, help=f"days to replay (default {WINDOW_DAYS})"
    )
    s.add_argument(
        "--warm-up",
        type=int,
        default=POLICY_WARM_UP_DAYS,
        help=f"days replayed before the measured ones, not measured (default "
        f"{POLICY_WARM_UP_DAYS}; as far as the history allows)",
    )
    s.add_argument(
        "--sweep", action="store_true", help="plan at several aggregate fill targets (the frontier)"
    )
    s.add_argument("--json", action="store_true", help="print the result as JSON")
    s.add_argument("--seed", type=int, default=0, help="random stream of supplier behaviour")
    s.add_argument(
        "--replications",
        type=_replications,
        default=DEFAULT_REPLICATIONS,
        help=f"independent streams of supplier behaviour replayed and pooled "
        f"(default {DEFAULT_REPLICATIONS})",
    )
    s.add_argument(
        "--fill-target",
        type=_target,
        default=DEFAULT_FILL_TARGET,
        help="the target without --sweep",
    )
    s.set_defaults(func=_cmd_plan)
    b = ps.add_parser(
        "backfill",
        help="re-run the planning forecast at past weekly "
        "cut-offs (no drafts) and score past plans",
    )
    b.add_argument(
        "--weeks",
        type=_weeks,
        default=8,
        help="weekly cut-offs back from the last history date (default 8)",
    )
    b.add_argument("--warehouse", help="published DuckDB file (default QM_WAREHOUSE_PATH)")
    b.set_defaults(func=_cmd_plan)
