"""POST /batches: many documents created (and posted) in one request and one transaction,
through the service layer's batch path (`create_and_post_many`): a document that breaks
a rule fails alone with its own problem, the others land.

(No `from __future__ import annotations`: FastAPI must see the real parameter types.)
"""

from typing import Annotated

from fastapi import Header, Request

from transactional.api import schemas as s
from transactional.api.deps import Allowed, service_router
from transactional.api.problems import domain_problem
from transactional.services import BatchCommand, BatchResult, create_and_post_many
from transactional.services.base import Context

router = service_router()

KEY_DESCRIPTION = (
    "required: a retry with the same key and body answers the first "
    "results again and writes nothing; the same key with another body is "
    "refused (422 idempotency_key_reused)"
)


@router.post(
    "/batches",
    response_model=s.BatchOut,
    tags=["Batches"],
    summary="Create (and post) many documents in one request: one result each",
    description="Each document is the command its own create endpoint takes, "
    "checked as that endpoint checks it (`<type>:create`, and "
    "`<type>:post` when posted). The batch is one transaction: "
    "documents are created and posted in the order given, each seeing "
    "the earlier ones; one that breaks a rule (stock, quantities, "
    "references, permission) fails alone and nothing of it is "
    "written, the others land. A malformed request (JSON, shape, more "
    "than QM_BATCH_MAX_DOCUMENTS documents) is a 422 and writes "
    "nothing. Answers 200 with one result per document, in order.",
)
def create_batch(
    body: s.BatchIn,
    request: Request,
    idempotency_key: Annotated[
        str,
        Header(alias="Idempotency-Key", min_length=1, max_length=200, description=KEY_DESCRIPTION),
    ],
    *,
    ctx: Annotated[Context, Allowed("batch", "create")],
):
    results = create_and_post_many(
        ctx,
        [
            BatchCommand(d.doc_type, d.document, post=body.post if d.post is None else d.post)
            for d in body.documents
        ],
    )
    return batch_report(body, results, request.url.path)


def batch_report(body: s.BatchIn, results: list[BatchResult], path: str) -> s.BatchOut:
    out = []
    for r, d in zip(results, body.documents, strict=True):
        doc = r.document
        if doc is None:
            assert r.error is not None  # a failed document carries its error
            out.append(
                s.BatchResultOut(
                    index=r.index,
                    doc_type=d.doc_type,
                    result="failed",
                    problem=s.BatchProblem(
                        **domain_problem(r.error, f"{path}#/documents/{r.index}")
                    ),
                )
            )
        else:
            out.append(
                s.BatchResultOut(
                    index=r.index,
                    doc_type=doc.doc_type,
                    result="created" if doc.status == "draft" else "posted",
                    id=doc.id,
                    number=doc.number,
                    status=doc.status,
                )
            )
    count = {k: sum(r.result == k for r in out) for k in ("created", "posted", "failed")}
    return s.BatchOut(documents=len(out), **count, results=out)
