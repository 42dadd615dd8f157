"""Users, roles, passwords (argon2) and bearer tokens (only a SHA-256 is stored)."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
from typing import Any, cast

from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from transactional.config import settings
from transactional.errors import (
    Conflict,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
    ValidationError,
)
from transactional.models import ApiToken, AuditLog, User
from transactional.permissions import ROLES
from transactional.services.base import Context, audit, utcnow

_hasher = PasswordHasher()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    session: Session,
    username: str,
    role: str,
    password: str | None = None,
    *,
    now: dt.datetime | None = None,
    salt: bytes | None = None,
) -> User:
    """Create a user with a role; the password (optional) is stored as an argon2 hash.
    `now` and `salt` let a reproducible build (the demo generator) fix the creation time
    and the hash salt; leave them out otherwise (a random salt is the safe default)."""
    if role not in ROLES:
        raise ValidationError(
            f"role must be one of {', '.join(ROLES)}, got {role!r}",
            field="role",
            value=role,
            rule="one_of",
        )
    if not username or len(username) > 80:
        raise ValidationError(
            "username must be 1–80 characters", field="username", value=username, rule="length_1_80"
        )
    if session.execute(select(User).where(User.username == username)).scalar_one_or_none():
        raise Conflict(
            f"user {username!r} already exists", field="username", value=username, rule="unique"
        )
    user = User(
        username=username,
        role=role,
        created_at=now or utcnow(),
        password_hash=_hasher.hash(password, salt=salt) if password else None,
    )
    session.add(user)
    session.flush()
    return user


TOKEN_PREFIX = "qm_"  # API bearer tokens
SESSION_PREFIX = "qms_"  # dashboard sessions (a browser cookie; not accepted by the API)


def issue_token(session: Session, user: User) -> str:
    """A new random bearer token for the user; returned once, stored hashed."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=token_hash(token), created_at=utcnow()))
    session.flush()
    return token


def token_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    """Tokens issued before this instant have expired (`QM_TOKEN_DAYS`, default 30)."""
    return (now or utcnow()) - dt.timedelta(days=settings().token_days)


def user_for_token(session: Session, token: str) -> User | None:
    """The active user of a token that is neither revoked nor expired; else None. A
    dashboard session is not an API token."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = session.execute(
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == token_hash(token),
            ApiToken.revoked.is_(False),
            ApiToken.created_at >= token_cutoff(),
            User.active.is_(True),
        )
    ).scalar_one_or_none()
    return row


def issue_session(session: Session, user: User) -> str:
    """A dashboard session for the user (kept in a browser cookie): random, stored hashed
    beside the API tokens so that revoking and deactivating end it too; it lasts
    `QM_SESSION_HOURS` (default 12) and is refused by the API."""
    token = SESSION_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=token_hash(token), created_at=utcnow()))
    session.flush()
    return token


def user_for_session(session: Session, token: str) -> User | None:
    """The active user of a live dashboard session (not revoked, younger than
    `QM_SESSION_HOURS`); else None."""
    if not token.startswith(SESSION_PREFIX):
        return None
    cutoff = utcnow() - dt.timedelta(hours=settings().session_hours)
    return session.execute(
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == token_hash(token),
            ApiToken.revoked.is_(False),
            ApiToken.created_at >= cutoff,
            User.active.is_(True),
        )
    ).scalar_one_or_none()


def end_session(session: Session, token: str) -> None:
    """Sign out: the session is revoked (a copied cookie no longer works)."""
    session.execute(
        update(ApiToken).where(ApiToken.token_hash == token_hash(token)).values(revoked=True)
    )


def _user(session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user {username!r}", field="username", value=username, rule="exists")
    return user


def revoke_tokens(session: Session, username: str, token: str | None = None) -> int:
    """Revoke every live token of the user (or only `token`); returns how many."""
    user = _user(session, username)
    query = update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
    if token is not None:
        query = query.where(ApiToken.token_hash == token_hash(token))
    # an UPDATE's result is a CursorResult (the ORM types it as a plain Result)
    count = cast(CursorResult[Any], session.execute(query.values(revoked=True))).rowcount
    ctx = Context(session, username=username, role=user.role)
    audit(ctx, "revoke", "user", user.id, None, None, {"tokens": count})
    return count


def check_password(password: str) -> None:
    """The rule a new password follows (ValidationError naming `password` otherwise)."""
    if not password or len(password) < 8:
        raise ValidationError(
            "password must have at least 8 characters",
            field="password",
            value="***",
            rule="min_length_8",
        )


def set_password(session: Session, username: str, password: str) -> int:
    """A new password (argon2); every token of the user is revoked. Returns how many."""
    check_password(password)
    user = _user(session, username)
    user.password_hash = _hasher.hash(password)
    session.flush()
    return revoke_tokens(session, username)


def set_active(session: Session, username: str, active: bool, actor: str = "system") -> int:
    """Activate or deactivate a user (audited as 'activate' / 'deactivate' by `actor`).
    A deactivated user cannot sign in, and every token and dashboard session it holds is
    revoked, so it loses access at its next request. Returns the tokens revoked."""
    user = _user(session, username)
    if user.active == active:
        return 0
    user.active = active
    session.flush()
    revoked = 0 if active else revoke_tokens(session, username)
    ctx = Context(session, username=actor, role="admin")
    audit(
        ctx,
        "activate" if active else "deactivate",
        "user",
        user.id,
        None,
        {"active": not active},
        {"active": active, "tokens_revoked": revoked},
    )
    return revoked


def list_users(session: Session) -> list[dict]:
    """Every user with its role, whether it is active and its live (unexpired, not
    revoked) tokens."""
    live = (
        select(ApiToken.user_id, func.count().label("n"))
        .where(ApiToken.revoked.is_(False), ApiToken.created_at >= token_cutoff())
        .group_by(ApiToken.user_id)
        .subquery()
    )
    rows = session.execute(
        select(User.username, User.role, User.active, func.coalesce(live.c.n, 0))
        .outerjoin(live, live.c.user_id == User.id)
        .order_by(User.username)
    ).all()
    return [
        {"username": u, "role": r, "active": bool(a), "live_tokens": int(n)} for u, r, a, n in rows
    ]


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.execute(
        select(User).where(User.username == username, User.active.is_(True))
    ).scalar_one_or_none()
    if user is None or not user.password_hash:
        _hasher.hash(password)  # same work as a real check: no user enumeration by timing
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except VerifyMismatchError:
        return None
    except Exception:  # malformed hash: treat as a failed login, never a 500
        return None
    return user


def _failures(
    session: Session, since: dt.datetime, *, username: str | None = None, client: str | None = None
) -> list[dt.datetime]:
    query = select(AuditLog.at).where(AuditLog.action == "login_failed", AuditLog.at > since)
    if username is not None:
        query = query.where(AuditLog.entity_id == username[:40])
    if client is not None:
        query = query.where(AuditLog.username == client[:80])
    return sorted(session.execute(query).scalars())


def _sign_in_audit(
    session: Session, action: str, username: str, client: str | None, now: dt.datetime
) -> None:
    """A failed or throttled sign-in in the audit log, committed at once: the request
    fails, the record stays. The actor is the client address (who is asking is not
    known), the entity the user name tried."""
    session.rollback()
    ctx = Context(session, username=(client or "unknown")[:80], role="anonymous", clock=lambda: now)
    audit(
        ctx,
        action,
        "user",
        username[:40] or "-",
        None,
        None,
        {"username": username[:80], "client": client},
    )
    session.commit()


def check_throttle(session: Session, username: str, client: str | None, now: dt.datetime) -> None:
    """Raise TooManyAttempts when the user has QM_LOGIN_MAX_FAILURES failed sign-ins in
    the last QM_LOGIN_WINDOW_MINUTES, or the client address four times as many; the
    refusal is audited (as login_throttled, which does not count as a failure)."""
    cfg = settings()
    window = dt.timedelta(minutes=cfg.login_window_minutes)
    since = now - window
    for key, limit, failures in (
        ("username", cfg.login_max_failures, _failures(session, since, username=username)),
        (
            "client",
            4 * cfg.login_max_failures,
            _failures(session, since, client=client) if client else [],
        ),
    ):
        if len(failures) >= limit:
            retry = math.ceil((failures[-limit] + window - now).total_seconds())
            _sign_in_audit(session, "login_throttled", username, client, now)
            raise TooManyAttempts(
                f"too many failed sign-ins for this {'user' if key == 'username' else 'address'}"
                f"; try again in {retry} s",
                field=key,
                value=username if key == "username" else client,
                rule="login_throttled",
                retry_after=retry,
            )


def verify_sign_in(
    session: Session,
    username: str,
    password: str,
    now: dt.datetime | None = None,
    client: str | None = None,
) -> User | None:
    """The user when the password is right, else None (audited as 'login_failed');
    raises TooManyAttempts while the user or client address is throttled."""
    now = now or utcnow()
    check_throttle(session, username, client, now)
    user = authenticate(session, username, password)
    if user is None:
        _sign_in_audit(session, "login_failed", username, client, now)
    return user


def login(
    session: Session,
    username: str,
    password: str,
    now: dt.datetime | None = None,
    client: str | None = None,
) -> tuple[User, str]:
    """Check the password and issue a new bearer token (audited as action 'token');
    raises Unauthenticated for an unknown user or a wrong password (audited as
    'login_failed') and TooManyAttempts while a user or client address is throttled."""
    now = now or utcnow()
    user = verify_sign_in(session, username, password, now, client)
    if user is None:
        raise Unauthenticated(
            "unknown user or wrong password",
            field="username",
            value=username,
            rule="valid_credentials",
        )
    token = issue_token(session, user)
    ctx = Context(
        session, username=user.username, role=user.role, clock=(lambda: now) if now else utcnow
    )
    audit(ctx, "token", "user", user.id, None, None, {"username": user.username})
    return user, token
