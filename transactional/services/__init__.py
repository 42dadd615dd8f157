"""The service layer: the only code that writes the OLTP tables."""

from transactional.services.base import Context, utcnow
from transactional.services.documents import (cancel_document, create_draft, delete_draft,
                                              get_document, post_document, update_draft)
from transactional.services.inventory import receive_transfer
from transactional.services.master import create_master, seed_reference_data, update_master
from transactional.services.users import create_user, issue_token
from transactional.services.workflow import (approve_credit_override, approve_purchase_order,
                                             close_order, edit_purchase_order_quantities,
                                             reject_purchase_order)

__all__ = ["Context", "utcnow", "cancel_document", "create_draft", "delete_draft",
           "get_document", "post_document", "update_draft", "receive_transfer",
           "create_master", "update_master", "seed_reference_data", "create_user",
           "issue_token", "approve_credit_override", "approve_purchase_order", "close_order",
           "edit_purchase_order_quantities", "reject_purchase_order"]
