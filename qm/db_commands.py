"""The transactional commands of `qm`: db upgrade, check, user create.

`qm/cli.py` composes these with the warehouse, planning and dashboard commands into the
one `qm` console script.
"""

from __future__ import annotations

import argparse
import sys
import time

from transactional.config import database_url, redact_url


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from transactional.migrate import upgrade
    started = time.perf_counter()
    upgrade(database_url())
    print(f"qm db upgrade: schema at head on {redact_url(database_url())} "
          f"({time.perf_counter() - started:.1f} s)")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from transactional.check import run_checks
    from transactional.db import session_scope
    with session_scope() as session:
        results = run_checks(session)
    failed = {k: v for k, v in results.items() if v}
    for name, problems in failed.items():
        print(f"FAILED {name}:")
        for p in problems[:50]:
            print(f"  - {p}")
        if len(problems) > 50:
            print(f"  … and {len(problems) - 50} more")
    if failed:
        print(f"qm check: {len(failed)} of {len(results)} invariants violated "
              f"({sum(len(v) for v in failed.values())} problems)")
        return 1
    print(f"qm check: all {len(results)} invariants hold")
    return 0


def cmd_user_create(args: argparse.Namespace) -> int:
    from transactional.db import session_scope
    from transactional.errors import DomainError
    from transactional.services.users import create_user, issue_token
    try:
        with session_scope() as session:
            user = create_user(session, args.name, args.role, args.password)
            token = issue_token(session, user)
    except DomainError as exc:
        print(f"qm user create: refused: {exc.message}", file=sys.stderr)
        return 2
    print(f"token: {token}")
    print(f"qm user create: user {args.name!r} with role {args.role} created; the token "
          "above is shown once and stored only as a hash")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the transactional commands to the `qm` parser."""
    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_cmd",
                                                                      required=True)
    db.add_parser("upgrade", help="create or upgrade the schema").set_defaults(
        func=cmd_db_upgrade)
    sub.add_parser("check", help="verify the five ledger invariants").set_defaults(
        func=cmd_check)
    user = sub.add_parser("user", help="users and tokens").add_subparsers(dest="user_cmd",
                                                                           required=True)
    create = user.add_parser("create", help="create a user and print a token once")
    create.add_argument("name")
    create.add_argument("--role", required=True)
    create.add_argument("--password", default=None)
    create.set_defaults(func=cmd_user_create)
