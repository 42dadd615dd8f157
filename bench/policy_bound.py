"""How much stock the planning policy could save at best: the hindsight bound.

    .venv/bin/python bench/policy_bound.py [data/warehouse.duckdb] [--planning]

On the same replay inputs `qm plan simulate --sweep` builds (`load_replay_inputs`: the
last 182 days after a warm-up, the same opening stock, open orders and supplier draws)
this prints, in one run:

* the reorder rules (the naive policy): fill rate and average inventory value;
* the **hindsight bound**: the least inventory any fixed order-up-to level per series
  reaches at the rules' fill rate, the levels chosen *knowing* the window's demand and
  the supplier draws (`forecasting.simulate.hindsight_bound`) - no forecast-based
  (R, S) policy with a steady level can beat it on that window;
* with ``--planning``: the planning policy's sweep (`qm plan simulate --sweep`,
  refitting the forecasts at every weekly review; minutes on the medium demo) and its
  stock saved at equal fill, beside the bound's.

Ends with a one-line summary.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forecasting.simulate import (
    DEFAULT_REPLICATIONS,
    hindsight_bound,
    naive_rule,
    pooled,
    replay,
    replication_draws,
)
from pipelines.planning import REVIEW_PERIOD_DAYS
from pipelines.simulation import WINDOW_DAYS, load_replay_inputs, simulate


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("warehouse", nargs="?", default=None)
    ap.add_argument(
        "--planning",
        action="store_true",
        help="also replay the planning policy (refits forecasts: minutes)",
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--replications",
        type=int,
        default=DEFAULT_REPLICATIONS,
        help="streams of supplier behaviour pooled, as `qm plan simulate`",
    )
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    inp, notes = load_replay_inputs(args.warehouse, WINDOW_DAYS)
    n = len(inp.keys)
    n_sim = inp.demand.shape[1] - inp.window_start
    n_reviews = (n_sim + REVIEW_PERIOD_DAYS - 1) // REVIEW_PERIOD_DAYS
    naive = pooled(
        [
            replay(
                inp,
                naive_rule(inp),
                replication_draws(n, n_reviews, args.seed, k),
                REVIEW_PERIOD_DAYS,
            )
            for k in range(args.replications)
        ]
    )
    print(
        f"policy_bound: {n} series, measured {notes['window_start']} -> "
        f"{notes['window_end']} ({notes['warm_up_days']} warm-up days), "
        f"naive = {notes['naive_rule']}, {args.replications} replication(s) pooled",
        flush=True,
    )
    print(
        f"  reorder rules       fill {naive['fill_rate']:.4f}  "
        f"avg inventory {naive['avg_inventory_value']:,.0f}"
    )
    bound = hindsight_bound(
        inp, naive["fill_rate"], REVIEW_PERIOD_DAYS, args.seed, replications=args.replications
    )
    red_bound = (
        None
        if bound["avg_inventory_value"] is None
        else 1 - bound["avg_inventory_value"] / naive["avg_inventory_value"]
    )
    if red_bound is None:
        print("  hindsight bound     no fixed level reaches the rules' fill rate")
    else:
        print(
            f"  hindsight bound     fill {bound['fill_rate']:.4f}  avg inventory "
            f"{bound['avg_inventory_value']:,.0f}  stock saved {red_bound:.1%} "
            f"({bound['candidates']} candidate levels per series)",
            flush=True,
        )
    red_plan = None
    if args.planning:
        result, _ = simulate(
            args.warehouse,
            seed=args.seed,
            replications=args.replications,
            progress=lambda m: print("  " + m, flush=True),
        )
        red_plan = result["inventory_reduction_at_equal_fill"]
        for p in result["planning"]:
            print(
                f"  planning @ {p['target']:.3f}  fill {p['fill_rate']:.4f}  "
                f"avg inventory {p['avg_inventory_value']:,.0f}"
            )
        print(
            f"  planning            stock saved at equal fill "
            f"{'n/a' if red_plan is None else f'{red_plan:.1%}'}"
        )
    fmt = lambda r: "n/a" if r is None else f"{r:.1%}"  # noqa: E731
    print(
        f"policy_bound: stock saved at the rules' fill: hindsight bound {fmt(red_bound)}"
        + (f", planning {fmt(red_plan)}" if args.planning else "")
        + f" ({time.perf_counter() - t0:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
