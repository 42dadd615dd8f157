"""The service layer: the only code that writes the OLTP tables."""

from transactional.services.base import Context, utcnow
from transactional.services.batch import (
    BatchCommand,
    BatchResult,
    create_and_post_many,
    post_documents,
)
from transactional.services.documents import (
    cancel_document,
    create_and_post,
    create_draft,
    delete_draft,
    get_document,
    post_document,
    update_draft,
)
from transactional.services.inventory import receive_transfer
from transactional.services.master import create_master, seed_reference_data, update_master
from transactional.services.planning import PlanApplied, apply_plan
from transactional.services.users import create_user, issue_token
from transactional.services.workflow import (
    approve_credit_override,
    approve_purchase_order,
    close_order,
    close_year,
    edit_purchase_order_quantities,
    reject_purchase_order,
    reopen_year,
)

__all__ = [
    "BatchCommand",
    "BatchResult",
    "create_and_post_many",
    "post_documents",
    "Context",
    "PlanApplied",
    "apply_plan",
    "approve_credit_override",
    "approve_purchase_order",
    "cancel_document",
    "close_order",
    "close_year",
    "create_and_post",
    "create_draft",
    "create_master",
    "create_user",
    "delete_draft",
    "edit_purchase_order_quantities",
    "get_document",
    "issue_token",
    "post_document",
    "receive_transfer",
    "reject_purchase_order",
    "reopen_year",
    "seed_reference_data",
    "update_draft",
    "update_master",
    "utcnow",
]
