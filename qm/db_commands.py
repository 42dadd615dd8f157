"""The transactional commands of `qm`: db upgrade, check, user create, backup, restore,
close-year.

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
    print(
        f"qm db upgrade: schema at head on {redact_url(database_url())} "
        f"({time.perf_counter() - started:.1f} s)"
    )
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
        print(
            f"qm check: {len(failed)} of {len(results)} invariants violated "
            f"({sum(len(v) for v in failed.values())} problems)"
        )
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
    print(
        f"qm user create: user {args.name!r} with role {args.role} created; the token "
        "above is shown once and stored only as a hash"
    )
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    from transactional.db import session_scope
    from transactional.services.users import list_users

    with session_scope() as session:
        users = list_users(session)
    for u in users:
        print(
            f"{u['username']:<24} {u['role']:<12} {'active' if u['active'] else 'inactive':<9}"
            f" {u['live_tokens']} live token(s)"
        )
    print(f"qm user list: {len(users)} users, {sum(u['live_tokens'] for u in users)} live tokens")
    return 0


def cmd_user_revoke(args: argparse.Namespace) -> int:
    from transactional.db import session_scope
    from transactional.errors import DomainError
    from transactional.services.users import revoke_tokens

    try:
        with session_scope() as session:
            n = revoke_tokens(session, args.name)
    except DomainError as exc:
        print(f"qm user revoke: refused: {exc.message}", file=sys.stderr)
        return 2
    print(f"qm user revoke: {n} token(s) of {args.name!r} revoked")
    return 0


def cmd_user_active(args: argparse.Namespace) -> int:
    import getpass

    from transactional.db import session_scope
    from transactional.errors import DomainError
    from transactional.services.users import set_active

    active = args.user_cmd == "activate"
    try:
        with session_scope() as session:
            n = set_active(session, args.name, active, actor=f"cli:{getpass.getuser()}")
    except DomainError as exc:
        print(f"qm user {args.user_cmd}: refused: {exc.message}", file=sys.stderr)
        return 2
    state = "active" if active else f"inactive, {n} token(s) and session(s) revoked"
    print(f"qm user {args.user_cmd}: {args.name!r} is {state}")
    return 0


def cmd_user_set_password(args: argparse.Namespace) -> int:
    import getpass

    from transactional.db import session_scope
    from transactional.errors import DomainError
    from transactional.services.users import set_password

    password = args.password if args.password is not None else getpass.getpass("password: ")
    try:
        with session_scope() as session:
            n = set_password(session, args.name, password)
    except DomainError as exc:
        print(f"qm user set-password: refused: {exc.message}", file=sys.stderr)
        return 2
    print(f"qm user set-password: password of {args.name!r} changed, {n} token(s) revoked")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from transactional.backup import BackupError, backup

    started = time.perf_counter()
    url = args.database_url or database_url()
    try:
        manifest = backup(url, args.file)
    except BackupError as exc:
        print(f"qm backup: failed, nothing written: {exc}", file=sys.stderr)
        return 2
    tables = manifest["tables"]
    print(
        f"qm backup: {redact_url(url)} -> {args.file} ({manifest['engine']}, "
        f"{len(tables)} tables, {sum(t['rows'] for t in tables.values())} rows, manifest "
        f"{args.file}.manifest.json, {time.perf_counter() - started:.1f} s)"
    )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from transactional.backup import BackupError, restore

    started = time.perf_counter()
    url = args.database_url or database_url()
    try:
        report = restore(args.file, url)
    except BackupError as exc:
        print(f"qm restore: refused, nothing written: {exc}", file=sys.stderr)
        return 2
    for name in report.mismatched:
        print(f"MISMATCH {name}: rows or digest differ from the backup's manifest")
    for name, problems in report.invariants.items():
        for p in problems[:20]:
            print(f"FAILED {name}: {p}")
    verdict = "verified" if report.ok else "NOT verified"
    print(
        f"qm restore: {args.file} -> {redact_url(url)}: {report.tables} tables, "
        f"{report.rows} rows, {verdict} ({len(report.mismatched)} tables differ from the "
        f"manifest, {sum(len(v) for v in report.invariants.values())} invariant problems,"
        f" {time.perf_counter() - started:.1f} s)"
    )
    return 0 if report.ok else 1


def cmd_close_year(args: argparse.Namespace) -> int:
    import getpass

    from transactional.db import session_scope
    from transactional.errors import DomainError
    from transactional.services import Context, close_year, reopen_year

    what = f"qm close-year {args.year}{' --reopen' if args.reopen else ''}"
    try:
        with session_scope() as session:
            ctx = Context(session, username=f"cli:{getpass.getuser()}", role="admin")
            if args.reopen:
                doc = reopen_year(ctx, args.year, args.reason)
            else:
                doc = close_year(ctx, args.year, args.memo)
            number, net_income, reversed_on = doc.number, doc.net_total, doc.cancel_date
    except DomainError as exc:
        print(f"{what}: refused, nothing written: {exc.message}", file=sys.stderr)
        return 2
    if args.reopen:
        print(
            f"{what}: cancelled {number}, reversal of net income {net_income:,.2f} "
            f"posted on {reversed_on}; {args.year} is open again"
        )
    else:
        print(f"{what}: posted {number}, net income {net_income:,.2f} to 3100 Retained earnings")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the transactional commands to the `qm` parser."""
    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_cmd", required=True)
    db.add_parser("upgrade", help="create or upgrade the schema").set_defaults(func=cmd_db_upgrade)
    sub.add_parser("check", help="verify the six ledger invariants").set_defaults(func=cmd_check)
    cy = sub.add_parser(
        "close-year",
        help="year-end close: move the year's P&L to 3100 Retained earnings and lock the year",
    )
    cy.add_argument("year", type=int, help="the calendar year, e.g. 2025 (it must have ended)")
    cy.add_argument(
        "--reopen", action="store_true", help="cancel the year's close (posts the reversal)"
    )
    cy.add_argument("--memo", default=None, help="a memo on the year close")
    cy.add_argument("--reason", default=None, help="why the year is reopened (with --reopen)")
    cy.set_defaults(func=cmd_close_year)
    user = sub.add_parser("user", help="users and tokens").add_subparsers(
        dest="user_cmd", required=True
    )
    create = user.add_parser("create", help="create a user and print a token once")
    create.add_argument("name")
    create.add_argument("--role", required=True)
    create.add_argument("--password", default=None)
    create.set_defaults(func=cmd_user_create)
    user.add_parser("list", help="users, roles and live tokens").set_defaults(func=cmd_user_list)
    revoke = user.add_parser("revoke", help="revoke every token of a user")
    revoke.add_argument("name")
    revoke.set_defaults(func=cmd_user_revoke)
    for verb, what in (
        ("deactivate", "deactivate a user: no sign-in, every token and session revoked"),
        ("activate", "let a deactivated user sign in again"),
    ):
        active = user.add_parser(verb, help=what)
        active.add_argument("name")
        active.set_defaults(func=cmd_user_active)
    pw = user.add_parser("set-password", help="set a password (revokes the user's tokens)")
    pw.add_argument("name")
    pw.add_argument("--password", default=None, help="default: asked for on the terminal")
    pw.set_defaults(func=cmd_user_set_password)
    bk = sub.add_parser("backup", help="consistent backup of the database (+ manifest)")
    bk.add_argument("file")
    bk.add_argument("--database-url", default=None, help="default: QM_DATABASE_URL")
    bk.set_defaults(func=cmd_backup)
    rs = sub.add_parser("restore", help="restore a backup into an empty database, verified")
    rs.add_argument("file")
    rs.add_argument("--database-url", default=None, help="default: QM_DATABASE_URL")
    rs.set_defaults(func=cmd_restore)
