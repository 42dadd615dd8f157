"""`qm`: the one command line, composing transactional, pipelines, planning, dashboards
and the demo."""

from __future__ import annotations

import argparse
import sys

from qm import (
    dashboard_commands,
    db_commands,
    demo_commands,
    planning_commands,
    refresh_commands,
    serve_commands,
    settings,
)

COMMAND_MODULES = (
    db_commands,
    serve_commands,
    demo_commands,
    refresh_commands,
    planning_commands,
    dashboard_commands,
    settings,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qm", description="Quartermaster operations platform")
    sub = parser.add_subparsers(dest="cmd", required=True)
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
