"""Typed domain errors. Each names the field, the value and the rule that was broken."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every refusal by the service layer; nothing is written when one is raised."""

    status = 422
    title = "Rule violated"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        value: Any = None,
        rule: str | None = None,
        errors: list[dict[str, Any]] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.field = field
        self.value = value
        self.rule = rule or type(self).__name__
        self.errors = errors or (
            [{"field": field, "value": _plain(value), "rule": self.rule, "message": message}]
            if field
            else []
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "status": self.status,
            "detail": self.message,
            "errors": self.errors,
            "rule": self.rule,
        }


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (int, float, str, bool)):
        return value
    return str(value)


class ValidationError(DomainError):
    """Input breaks a rule of the document itself (quantity ≤ 0, unknown item, unbalanced…)."""

    title = "Invalid input"


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    """The document is not in a state that allows the action (wrong status transition)."""

    status = 409
    title = "Conflict"


class NegativeStock(DomainError):
    status = 409
    title = "Insufficient stock"


class ClosedPeriod(DomainError):
    status = 409
    title = "Period closed"


class BackdatedMovement(DomainError):
    status = 409
    title = "Backdated stock movement"


class CreditLimitExceeded(DomainError):
    status = 409
    title = "Credit limit exceeded"


class PermissionDenied(DomainError):
    status = 403
    title = "Forbidden"


class TooManyAttempts(DomainError):
    """Too many failed sign-ins for a user or from a client address (HTTP 429); the
    client may try again after `retry_after` seconds."""

    status = 429
    title = "Too many requests"

    def __init__(self, message: str, *, retry_after: int, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.retry_after = max(int(retry_after), 1)

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class Unauthenticated(DomainError):
    """Credentials were missing or wrong (HTTP 401)."""

    status = 401
    title = "Unauthorized"
