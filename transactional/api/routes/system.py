"""Health (public), token issue (public: username + password), and file imports."""

import datetime as dt
from typing import Annotated

from fastapi import Depends, File, Form, Request, UploadFile
from sqlalchemy import text
from sqlalchemy.orm import Session

from transactional.api import schemas as s
from transactional.api.deps import Allowed, bearer_caller, service_router, session_of
from transactional.imports import MAX_BYTES, import_file
from transactional.services.base import Context
from transactional.services.users import login, revoke_tokens

router = service_router()


@router.get(
    "/health",
    response_model=s.HealthOut,
    tags=["System"],
    summary="Liveness and database reachability (no authentication)",
)
def health(*, session: Annotated[Session, Depends(session_of)]):
    session.execute(text("SELECT 1"))
    return {"status": "ok", "database": session.get_bind().dialect.name}


@router.post(
    "/auth/token",
    response_model=s.TokenOut,
    tags=["System"],
    summary="Exchange username and password for a bearer token",
    description="Each call issues a new token (shown once, stored hashed). An "
    "Idempotency-Key is accepted but not used: a token is never "
    "stored for replay.",
)
def token(body: s.TokenIn, request: Request, *, session: Annotated[Session, Depends(session_of)]):
    user, issued = login(
        session,
        body.username,
        body.password,
        request.app.state.clock(),
        client=request.client.host if request.client else None,
    )
    return {
        "access_token": issued,
        "token_type": "bearer",
        "username": user.username,
        "role": user.role,
    }


@router.post(
    "/auth/revoke",
    response_model=s.RevokeOut,
    tags=["System"],
    summary="Revoke the caller's bearer token (or, with all=true, every token of the caller)",
    description="Needs only a live token: anyone may sign themselves out. The "
    "token used for this call is revoked (with `all`: every live "
    "token of the user, e.g. after a leak); afterwards it gets 401. "
    "Audited as `revoke`.",
)
def revoke(
    body: s.RevokeIn | None = None,
    *,
    caller: Annotated[tuple, Depends(bearer_caller)],
    session: Annotated[Session, Depends(session_of)],
):
    user, token = caller
    every = bool(body and body.all)
    count = revoke_tokens(session, user.username, None if every else token)
    return {"username": user.username, "revoked": count, "all": every}


# kind -> the right it needs: the same as entering those rows by hand
IMPORTS = {
    "items": ("item", "create"),
    "customers": ("customer", "create"),
    "suppliers": ("supplier", "create"),
    "supplier-items": ("supplier_item", "create"),
    "warehouses": ("warehouse", "create"),
    "carriers": ("carrier", "create"),
    "opening-stock": ("stock_count", "post"),
}


def _add_import_route(kind: str, resource: str, action: str) -> None:
    def run(
        file: Annotated[UploadFile, File(description="CSV (UTF-8) or XLSX")],
        doc_date: Annotated[
            dt.date | None,
            Form(
                description="opening stock (required there): the date on which the counted "
                "quantities were true"
            ),
        ] = None,
        *,
        ctx: Annotated[Context, Allowed(resource, action)],
    ):
        content = file.file.read(MAX_BYTES + 1)
        return import_file(ctx, kind, content, file.filename or "", doc_date).as_dict()

    router.add_api_route(
        f"/imports/{kind}",
        run,
        methods=["POST"],
        response_model=s.ImportReportOut,
        tags=["Imports"],
        operation_id=f"import_{kind.replace('-', '_')}",
        summary=f"Import {kind.replace('-', ' ')} (all or nothing)",
        description="Every row is validated; if any is bad, nothing is "
        "imported and the 422 problem lists every bad row with "
        "its line, column and rule.",
    )


for _kind, (_resource, _action) in IMPORTS.items():
    _add_import_route(_kind, _resource, _action)
