"""The HTTP commands of `qm`: serve and import (composed by qm/cli.py)."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
import time
from pathlib import Path

from transactional.config import database_url, redact_url


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from qm.api_app import create_app

    started = time.perf_counter()
    print(
        f"qm serve: http://{args.host}:{args.port}  (docs: http://{args.host}:{args.port}"
        f"/docs) on {redact_url(database_url())}",
        flush=True,
    )
    if args.workers > 1:
        # several processes: each builds its app from the environment
        uvicorn.run(
            "qm.api_app:create_default_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level=args.log_level,
            access_log=args.access_log,
        )
        print(
            f"qm serve: stopped after {time.perf_counter() - started:.0f} s "
            f"({args.workers} workers)"
        )
        return 0
    app = create_app()
    uvicorn.run(
        app, host=args.host, port=args.port, log_level=args.log_level, access_log=args.access_log
    )
    print(f"qm serve: stopped; {app.state.stats.summary()}; {app.state.group_commit.summary()}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from transactional.db import session_scope
    from transactional.errors import DomainError
    from transactional.imports import ImportRejected, import_path
    from transactional.services.base import Context

    path = Path(args.file)
    if not path.is_file():
        print(f"qm import: no such file: {path}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        with session_scope() as session:
            ctx = Context(session, username=f"cli:{getpass.getuser()}", role="admin")
            report = import_path(ctx, args.kind, path, args.date)
    except ImportRejected as exc:
        for err in exc.report.errors:
            where = f"line {err.line}" + (f", column {err.column}" if err.column else "")
            print(f"  {where}: {err.message} [{err.rule}]")
        print(f"qm import: rejected — {exc.message}")
        return 1
    except DomainError as exc:
        print(f"qm import: refused: {exc.message}", file=sys.stderr)
        return 2
    documents = f"; posted {', '.join(report.documents)}" if report.documents else ""
    print(
        f"qm import: {report.created} {args.kind} rows imported from {path.name} "
        f"({report.rows} rows, {time.perf_counter() - started:.1f} s){documents}"
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `serve` and `import` to the `qm` parser."""
    from transactional.imports import KINDS

    serve = sub.add_parser("serve", help="serve the HTTP API (OpenAPI at /docs)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes (more than one needs PostgreSQL to help)",
    )
    serve.add_argument(
        "--log-level", default="info", choices=("critical", "error", "warning", "info", "debug")
    )
    serve.add_argument("--no-access-log", dest="access_log", action="store_false")
    serve.set_defaults(func=cmd_serve)
    imp = sub.add_parser(
        "import", help="import master data or opening stock (all or nothing) from CSV or XLSX"
    )
    imp.add_argument("kind", choices=KINDS)
    imp.add_argument("file")
    imp.add_argument(
        "--date",
        type=dt.date.fromisoformat,
        default=None,
        help="opening stock (required there): the date on which the counted quantities were true",
    )
    imp.set_defaults(func=cmd_import)
