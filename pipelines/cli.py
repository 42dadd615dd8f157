"""`qm`: the one command line, composing transactional, pipelines, planning, dashboards."""

from __future__ import annotations

import argparse
import sys

from transactional import cli as transactional_cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qm", description="Quartermaster operations platform")
    sub = parser.add_subparsers(dest="cmd", required=True)
    transactional_cli.register(sub)
    for module in ("transactional.api.cli", "transactional.demo.cli", "pipelines.commands",
                   "pipelines.planning_commands", "pipelines.dashboard_commands"):
        try:
            mod = __import__(module, fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name and module.startswith(exc.name):
                continue  # that part is not built yet
            raise
        mod.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
