"""`qm demo generate` (build the demo company) and `qm demo serve` (refresh, plan, then
serve the API and the dashboards)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from demo.config import SCALES


def cmd_generate(args: argparse.Namespace) -> int:
    from demo import DemoNotEmpty, demo_logins, document_count, generate
    from demo.summary import format_summary
    from transactional.config import database_url, redact_url
    from transactional.migrate import upgrade

    url = database_url()
    upgrade(url)  # idempotent: a fresh clone can run this command first
    existing = document_count(url)
    if existing:
        if args.if_empty:
            print(
                f"qm demo generate: {redact_url(url)} already has {existing:,} documents; "
                "nothing to do (--if-empty)"
            )
            return 0
        print(
            f"qm demo generate: refused: {redact_url(url)} already has {existing:,} documents; "
            "use an empty database (or --if-empty)",
            file=sys.stderr,
        )
        return 2
    try:
        result = generate(
            url,
            args.scale,
            args.seed,
            args.start,
            args.months,
            progress=not args.no_progress,
            batch=args.batch,
        )
    except DemoNotEmpty as exc:
        print(f"qm demo generate: refused: {exc}", file=sys.stderr)
        return 2
    cfg = result["config"]
    print(format_summary(result))
    print("demo logins (user / password): " + ", ".join(f"{u} / {p}" for u, p in demo_logins()))
    print(
        f"qm demo generate: {cfg.scale.name} seed {cfg.seed}, {cfg.start} … "
        f"{cfg.end - dt.timedelta(days=1)}: {result['documents']:,} documents, "
        f"{result['sales_order_lines']:,} sales order lines, revenue "
        f"{result['revenue']:,.0f}, stock value {result['stock_value']:,.0f}, "
        f"in {result['seconds']:.0f} s → {redact_url(url)}"
    )
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def cmd_serve(args: argparse.Namespace) -> int:
    # `demo serve` composes every part (refresh, planning, API, dashboards): the
    # composition root's job, hence qm/demo_serve.py
    from qm.demo_serve import serve

    return serve(
        host=args.host,
        api_port=args.port,
        dashboard_port=args.dashboard_port,
        refresh=not args.no_refresh,
        plan=not args.no_plan,
    )


def register(sub: argparse._SubParsersAction) -> None:
    """Add `demo generate` and `demo serve` to the `qm` parser."""
    demo = sub.add_parser("demo", help="the demo company").add_subparsers(
        dest="demo_cmd", required=True
    )
    gen = demo.add_parser(
        "generate", help="build a demo company with years of history (through the service layer)"
    )
    gen.add_argument("--scale", choices=sorted(SCALES), default="medium")
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument(
        "--start",
        type=dt.date.fromisoformat,
        default=None,
        help="first day of the history, YYYY-MM-DD (default: so that it ends yesterday)",
    )
    gen.add_argument(
        "--months", type=int, default=None, help="months of history (default: the scale's, 6 or 24)"
    )
    gen.add_argument(
        "--if-empty", action="store_true", help="do nothing when the database already has documents"
    )
    gen.add_argument(
        "--batch",
        type=_positive,
        default=50,
        help="documents posted per batch (create_and_post_many); 1 = one at a time "
        "(the same history either way; default 50)",
    )
    gen.add_argument("--no-progress", action="store_true", help="no progress bars")
    gen.set_defaults(func=cmd_generate)
    serve = demo.add_parser(
        "serve",
        help="refresh the warehouse, run planning, then serve "
        "the API and the dashboards (Ctrl-C stops all)",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000, help="API port")
    serve.add_argument("--dashboard-port", type=int, default=8501)
    serve.add_argument("--no-refresh", action="store_true", help="skip the warehouse refresh")
    serve.add_argument("--no-plan", action="store_true", help="skip the planning run")
    serve.set_defaults(func=cmd_serve)
