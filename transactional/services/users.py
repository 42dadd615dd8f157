"""Users, roles, passwords (argon2) and bearer tokens (only a SHA-256 is stored)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from transactional.errors import Conflict, Unauthenticated, ValidationError
from transactional.models import ApiToken, User
from transactional.permissions import ROLES
from transactional.services.base import Context, audit, utcnow

_hasher = PasswordHasher()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(session: Session, username: str, role: str, password: str | None = None,
                *, now: dt.datetime | None = None, salt: bytes | None = None) -> User:
    """Create a user with a role; the password (optional) is stored as an argon2 hash.
    `now` and `salt` let a reproducible build (the demo generator) fix the creation time
    and the hash salt; leave them out otherwise (a random salt is the safe default)."""
    if role not in ROLES:
        raise ValidationError(f"role must be one of {', '.join(ROLES)}, got {role!r}",
                              field="role", value=role, rule="one_of")
    if not username or len(username) > 80:
        raise ValidationError("username must be 1–80 characters", field="username",
                              value=username, rule="length_1_80")
    if session.execute(select(User).where(User.username == username)).scalar_one_or_none():
        raise Conflict(f"user {username!r} already exists", field="username", value=username,
                       rule="unique")
    user = User(username=username, role=role, created_at=now or utcnow(),
                password_hash=_hasher.hash(password, salt=salt) if password else None)
    session.add(user)
    session.flush()
    return user


def issue_token(session: Session, user: User) -> str:
    """A new random bearer token for the user; returned once, stored hashed."""
    token = "qm_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=token_hash(token), created_at=utcnow()))
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    row = session.execute(select(User).join(ApiToken, ApiToken.user_id == User.id).where(
        ApiToken.token_hash == token_hash(token), ApiToken.revoked.is_(False),
        User.active.is_(True))).scalar_one_or_none()
    return row


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.execute(select(User).where(User.username == username,
                                              User.active.is_(True))).scalar_one_or_none()
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


def login(session: Session, username: str, password: str,
          now: dt.datetime | None = None) -> tuple[User, str]:
    """Check the password and issue a new bearer token (audited as action 'token');
    raises Unauthenticated for an unknown user or a wrong password."""
    user = authenticate(session, username, password)
    if user is None:
        raise Unauthenticated("unknown user or wrong password", field="username",
                              value=username, rule="valid_credentials")
    token = issue_token(session, user)
    ctx = Context(session, username=user.username, role=user.role,
                  clock=(lambda: now) if now else utcnow)
    audit(ctx, "token", "user", user.id, None, None, {"username": user.username})
    return user, token
