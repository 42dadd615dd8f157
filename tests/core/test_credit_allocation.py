"""Credit notes (sales returns) and debit notes (purchase returns) are applied in payments
as negative allocations, so a customer pays invoices less credits and the credit stops
being an open item. Amounts are worked out by hand in the comments."""

from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from tests.core.company import build_company
from tests.core.test_posting_rules import assert_clean, journal
from tests.core.test_rejections import create, rejected
from transactional.db import session_scope
from transactional.errors import Conflict, ValidationError
from transactional.models import Document, JournalLine
from transactional.services import cancel_document

Z = D("0")


@pytest.fixture
def c(db_url):
    comp = build_company(db_url)
    comp.purchase([(comp.item, "10", "5.00")])
    return comp


def paid(url, doc_id):
    with session_scope(url) as s:
        return s.get(Document, doc_id).paid_amount


def control_balance(url, account, **dims):
    """Debit minus credit of an account for one party."""
    with session_scope(url) as s:
        q = select(func.coalesce(func.sum(JournalLine.debit - JournalLine.credit), 0)).where(
            JournalLine.account_code == account,
            *[getattr(JournalLine, k) == v for k, v in dims.items()],
        )
        return D(s.execute(q).scalar_one())


@pytest.fixture
def invoiced_and_returned(c):
    """Invoice 3 × 20.00 + 20 % VAT = 72.00; return 1 → credit note 20.00 + 4.00 = 24.00."""
    so, dn = c.sell([(c.item, "3", "20.00")])
    inv = c.post(
        "sales_invoice",
        {"source_document_id": so.id, "lines": [{"source_line_id": so.lines[0].id, "qty": "3"}]},
    )
    ret = c.post(
        "sales_return",
        {"source_document_id": dn.id, "lines": [{"source_line_id": dn.lines[0].id, "qty": "1"}]},
    )
    assert (inv.gross_total, ret.gross_total) == (D("72.00"), D("24.00"))
    return inv, ret


def test_customer_pays_invoice_less_credit_note(c, invoiced_and_returned):
    inv, ret = invoiced_and_returned
    pay = c.post(
        "customer_payment",
        {
            "customer_id": c.customer,
            "amount": "48.00",
            "lines": [
                {"allocated_document_id": inv.id, "amount": "72.00"},
                {"allocated_document_id": ret.id, "amount": "-24.00"},
            ],
        },
    )
    # the bank receives 72.00 − 24.00 = 48.00; AR 72.00 − 24.00 − 48.00 = 0
    assert journal(c.url, pay.id) == {"1000": (D("48.00"), Z), "1100": (Z, D("48.00"))}
    assert (paid(c.url, inv.id), paid(c.url, ret.id)) == (D("72.00"), D("-24.00"))
    assert control_balance(c.url, "1100", customer_id=c.customer) == Z
    assert_clean(c.url)

    # the applied credit note cannot be cancelled while the payment stands…
    rejected(
        c,
        Conflict,
        lambda ctx: cancel_document(ctx, ret.id),
        field="paid_amount",
        rule="no_dependent_documents",
    )
    # …cancelling the payment releases both, then the return may go
    c.cancel(pay.id)
    assert (paid(c.url, inv.id), paid(c.url, ret.id)) == (Z, Z)
    c.cancel(ret.id)
    assert control_balance(c.url, "1100", customer_id=c.customer) == D("72.00")
    assert_clean(c.url)


def test_part_of_a_credit_note_and_the_rest_later(c, invoiced_and_returned):
    inv, ret = invoiced_and_returned
    # 30.00 of the invoice settled with 10.00 of credit: 20.00 in the bank
    c.post(
        "customer_payment",
        {
            "customer_id": c.customer,
            "amount": "20.00",
            "lines": [
                {"allocated_document_id": inv.id, "amount": "30.00"},
                {"allocated_document_id": ret.id, "amount": "-10.00"},
            ],
        },
    )
    # open now: invoice 42.00, credit −14.00; using 15.00 of credit is too much
    rejected(
        c,
        ValidationError,
        create(
            "customer_payment",
            {
                "customer_id": c.customer,
                "amount": "27.00",
                "lines": [
                    {"allocated_document_id": inv.id, "amount": "42.00"},
                    {"allocated_document_id": ret.id, "amount": "-15.00"},
                ],
            },
        ),
        field="lines[1].amount",
        rule="allocation_within_open_amount",
    )
    c.post(
        "customer_payment",
        {
            "customer_id": c.customer,
            "amount": "28.00",
            "lines": [
                {"allocated_document_id": inv.id, "amount": "42.00"},
                {"allocated_document_id": ret.id, "amount": "-14.00"},
            ],
        },
    )
    assert (paid(c.url, inv.id), paid(c.url, ret.id)) == (D("72.00"), D("-24.00"))
    assert control_balance(c.url, "1100", customer_id=c.customer) == Z
    assert_clean(c.url)


def test_bad_credit_allocations_are_refused_and_nothing_is_written(c, invoiced_and_returned):
    inv, ret = invoiced_and_returned
    pay = {"customer_id": c.customer}
    # a credit note takes a negative allocation, an invoice a positive one
    err = rejected(
        c,
        ValidationError,
        create(
            "customer_payment",
            {
                **pay,
                "amount": "96.00",
                "lines": [
                    {"allocated_document_id": inv.id, "amount": "72.00"},
                    {"allocated_document_id": ret.id, "amount": "24.00"},
                ],
            },
        ),
        field="lines[1].amount",
        rule="negative_for_credit_note",
    )
    assert ret.number in err.message and "24.00" in err.message
    rejected(
        c,
        ValidationError,
        create(
            "customer_payment",
            {
                **pay,
                "amount": "10.00",
                "lines": [{"allocated_document_id": inv.id, "amount": "-5.00"}],
            },
        ),
        field="lines[0].amount",
        rule="positive_for_invoice",
    )
    rejected(
        c,
        ValidationError,
        create(
            "customer_payment",
            {**pay, "amount": "10.00", "lines": [{"allocated_document_id": inv.id, "amount": "0"}]},
        ),
        field="lines[0].amount",
        rule="positive_for_invoice",
    )
    # credits alone (or more credit than invoices) would move the credit into the payment
    err = rejected(
        c,
        ValidationError,
        create(
            "customer_payment",
            {
                **pay,
                "amount": "10.00",
                "lines": [
                    {"allocated_document_id": inv.id, "amount": "20.00"},
                    {"allocated_document_id": ret.id, "amount": "-24.00"},
                ],
            },
        ),
        field="lines",
        rule="credits_within_allocations",
    )
    assert "24.00" in err.message and "20.00" in err.message
    # more credit than the note holds
    rejected(
        c,
        ValidationError,
        create(
            "customer_payment",
            {
                **pay,
                "amount": "40.00",
                "lines": [
                    {"allocated_document_id": inv.id, "amount": "72.00"},
                    {"allocated_document_id": ret.id, "amount": "-30.00"},
                ],
            },
        ),
        field="lines[1].amount",
        rule="allocation_within_open_amount",
    )
    # invoices less credits may not exceed what the bank received
    rejected(
        c,
        ValidationError,
        create(
            "customer_payment",
            {
                **pay,
                "amount": "40.00",
                "lines": [
                    {"allocated_document_id": inv.id, "amount": "72.00"},
                    {"allocated_document_id": ret.id, "amount": "-24.00"},
                ],
            },
        ),
        field="lines",
        rule="allocations_within_amount",
    )
    # a supplier's debit note is not a credit of this customer
    _, gr = c.purchase([(c.item, "5", "5.00")])
    c.post(
        "supplier_bill",
        {"supplier_id": c.supplier, "lines": [{"source_line_id": gr.lines[0].id, "qty": "5"}]},
    )
    pr = c.post(
        "purchase_return",
        {"source_document_id": gr.id, "lines": [{"source_line_id": gr.lines[0].id, "qty": "1"}]},
    )
    rejected(
        c,
        ValidationError,
        create(
            "customer_payment",
            {
                **pay,
                "amount": "66.00",
                "lines": [
                    {"allocated_document_id": inv.id, "amount": "72.00"},
                    {"allocated_document_id": pr.id, "amount": "-6.00"},
                ],
            },
        ),
        field="lines[1].allocated_document_id",
        rule="open_document_of_party",
    )


def test_supplier_payment_applies_a_debit_note(c):
    _, gr = c.purchase([(c.item, "10", "5.00")])
    bill = c.post(
        "supplier_bill",
        {"supplier_id": c.supplier, "lines": [{"source_line_id": gr.lines[0].id, "qty": "10"}]},
    )
    pr = c.post(
        "purchase_return",
        {"source_document_id": gr.id, "lines": [{"source_line_id": gr.lines[0].id, "qty": "2"}]},
    )
    # bill 10 × 5.00 = 50.00 + 10.00 VAT = 60.00; debit note 2 × 5.00 = 10.00 + 2.00 = 12.00
    assert (bill.gross_total, pr.party_balance_effect) == (D("60.00"), D("-12.00"))
    pay = c.post(
        "supplier_payment",
        {
            "supplier_id": c.supplier,
            "amount": "48.00",
            "lines": [
                {"allocated_document_id": bill.id, "amount": "60.00"},
                {"allocated_document_id": pr.id, "amount": "-12.00"},
            ],
        },
    )
    assert journal(c.url, pay.id) == {"2000": (D("48.00"), Z), "1000": (Z, D("48.00"))}
    assert (paid(c.url, bill.id), paid(c.url, pr.id)) == (D("60.00"), D("-12.00"))
    # AP for the supplier: −60.00 (bill) + 12.00 (debit note) + 48.00 (payment) = 0 …
    # … apart from the first purchase's receipt, which was never billed (GRNI, not AP)
    assert control_balance(c.url, "2000", supplier_id=c.supplier) == Z
    rejected(
        c,
        Conflict,
        lambda ctx: cancel_document(ctx, pr.id),
        field="paid_amount",
        rule="no_dependent_documents",
    )
    assert_clean(c.url)
