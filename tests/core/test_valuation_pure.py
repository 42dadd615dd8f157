"""The moving-average arithmetic of transactional/ledger/valuation.py, with no database:
hand-computed examples, then thousands of random receive / issue / return / reversal
sequences checked against invariants. Money is Decimal throughout."""

from __future__ import annotations

import random
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transactional.ledger.rules import money
from transactional.ledger.valuation import (
    Balance,
    InsufficientStock,
    NegativeValue,
    ValueWithoutQuantity,
    average_cost,
    issue,
    receive,
    value_move,
)

CENT = D("0.01")


# ------------------------------------------------------------ hand-computed examples
def test_receive_receive_issue():
    b = Balance()
    r1 = receive(b, D("10"), D("2.00"))  # 10 × 2.00 = 20.00
    assert (r1.value, r1.unit_cost, r1.after) == (
        D("20.00"),
        D("2.000000"),
        Balance(D("10"), D("20.00")),
    )
    r2 = receive(r1.after, D("5"), D("3.50"))  # 5 × 3.50 = 17.50 → 15 units, 37.50
    assert r2.after == Balance(D("15"), D("37.50"))
    assert r2.after.average_cost == D("2.5")  # 37.50 / 15 = 2.50
    i1 = issue(r2.after, D("4"))  # 4 × 37.50 / 15 = 10.00
    assert (i1.qty, i1.value, i1.unit_cost) == (D("-4"), D("-10.00"), D("2.500000"))
    assert i1.after == Balance(D("11"), D("27.50"))  # 37.50 − 10.00
    assert i1.after.average_cost == D("2.5")  # 27.50 / 11: the average is unchanged


def test_design_worked_example():
    # receive 100 @ 10.00 and 100 @ 12.00: 200 units, 2,200.00, average 11.00
    b = receive(receive(Balance(), D("100"), D("10.00")).after, D("100"), D("12.00")).after
    assert b == Balance(D("200"), D("2200.00"))
    out = issue(b, D("150"))  # 150 × 2,200.00 / 200 = 1,650.00
    assert out.value == D("-1650.00") and out.after == Balance(D("50"), D("550.00"))
    count = issue(out.after, D("2"))  # 2 × 550.00 / 50 = 22.00 shrinkage
    assert count.value == D("-22.00") and count.after == Balance(D("48"), D("528.00"))


def test_thirds_round_half_up_and_the_last_unit_takes_the_rest():
    b = receive(Balance(), D("3"), D("3.333333")).after  # money(9.999999) = 10.00
    assert b == Balance(D("3"), D("10.00"))
    a = issue(b, D("1"))  # 10.00 / 3 = 3.3333… → 3.33; left 2 units, 6.67
    assert (a.value, a.after) == (D("-3.33"), Balance(D("2"), D("6.67")))
    c = issue(a.after, D("1"))  # 6.67 / 2 = 3.335 → 3.34 (half up); left 1 unit, 3.33
    assert (c.value, c.unit_cost, c.after) == (
        D("-3.34"),
        D("3.340000"),
        Balance(D("1"), D("3.33")),
    )
    d = issue(c.after, D("1"))  # the last unit takes the remaining 3.33, no residue
    assert (d.value, d.after) == (D("-3.33"), Balance(D("0"), D("0.00")))
    assert a.value + c.value + d.value == D("-10.00")


def test_row_unit_cost_is_six_places_bankers_rounding():
    # 32 × 0.0003 = 0.0096 → 0.01; the row's unit cost 0.01 / 32 = 0.0003125 → 0.000312
    # (ROUND_HALF_EVEN, the Decimal default, as the ledger has always stored it)
    r = receive(Balance(), D("32"), D("0.0003"))
    assert (r.value, r.unit_cost) == (D("0.01"), D("0.000312"))


def test_sales_return_comes_back_at_the_delivery_cost():
    # 15 units, 37.50; a delivery of 4 left at 2.500000; 1 comes back at 2.500000
    b = Balance(D("11"), D("27.50"))
    back = value_move(b, D("1"), unit_cost=D("2.500000"))
    assert back.value == D("2.50") and back.after == Balance(D("12"), D("30.00"))


def test_exact_values_reverse_a_movement():
    b = Balance(D("15"), D("37.50"))
    out = issue(b, D("4"))  # −10.00
    undo = value_move(out.after, D("4"), value=-out.value)
    assert undo.after == b and undo.value == D("10.00")


def test_refusals():
    with pytest.raises(InsufficientStock) as e:  # 5 asked, 4 on hand
        issue(Balance(D("4"), D("8.00")), D("5"))
    assert (e.value.available, e.value.asked) == (D("4"), D("5"))
    with pytest.raises(InsufficientStock):  # nothing on hand
        issue(Balance(), D("0.0001"))
    with pytest.raises(ValueWithoutQuantity) as e:  # 2 units 5.00, out at exactly 4.00
        value_move(Balance(D("2"), D("5.00")), D("-2"), value=D("-4.00"))
    assert e.value.value == D("1.00")
    with pytest.raises(NegativeValue) as e:  # 2 units 5.00, 1 out at exactly 6.00
        value_move(Balance(D("2"), D("5.00")), D("-1"), value=D("-6.00"))
    assert e.value.value == D("-1.00")


def test_zero_quantities():
    assert average_cost(D("0"), D("0")) is None
    z = receive(Balance(), D("0"), D("5.00"))  # 0 × 5.00: value 0, unit cost 0
    assert (z.value, z.unit_cost, z.after) == (D("0.00"), D("0"), Balance(D("0"), D("0.00")))
    # an issue of nothing takes nothing
    n = issue(Balance(D("3"), D("10.00")), D("0"))
    assert (n.value, n.after) == (D("0.00"), Balance(D("3"), D("10.00")))


# ------------------------------------------------------------ random sequences


def scaled(low: int, high: int, places: int):
    """Decimals low·10⁻ᵖ … high·10⁻ᵖ with `places` decimals (drawn as integers: fast)."""
    return st.integers(low, high).map(lambda n: D(n).scaleb(-places))


QTY = scaled(1, 50_000_000, 4)  # 0.0001 … 5,000 (Qty has 4 places)
COST = scaled(0, 2_000_000_000, 6)  # 0 … 2,000 (a unit cost has 6 places)
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("receive"), QTY, COST),
        st.tuples(st.just("issue"), QTY, st.none()),  # may ask for too much
        st.tuples(st.just("issue_share"), st.integers(1, 100), st.none()),  # % of on hand
        st.tuples(st.just("sales_return"), st.integers(0, 10_000), st.none()),
        st.tuples(st.just("issue_all"), st.none(), st.none()),
    ),
    min_size=1,
    max_size=40,
)

# structured sequences (hypothesis shrinks a failure to a minimal one) …
SEQUENCES = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# … and many more, cheaper to draw: a seed, expanded by `random` (a failure names it)
SEEDS = settings(max_examples=4000, deadline=None)


def ops_from_seed(seed: int, n: int = 60) -> list[tuple]:
    """A random sequence like OPS draws, from one seed: small and large quantities, costs
    with up to 6 places, issues that ask too much, returns, emptying the stock."""
    rnd = random.Random(seed)
    ops = []
    for _ in range(rnd.randint(1, n)):
        kind = rnd.choices(
            ["receive", "issue", "issue_share", "sales_return", "issue_all"], [4, 3, 3, 1, 1]
        )[0]
        if kind == "receive":
            places = rnd.choice([0, 2, 4])
            ops.append(
                (
                    kind,
                    D(rnd.randint(1, 10 ** (3 + places))).scaleb(-places),
                    D(rnd.randint(0, 10 ** rnd.randint(1, 9))).scaleb(-6),
                )
            )
        elif kind == "issue":
            ops.append((kind, D(rnd.randint(1, 10**6)).scaleb(-rnd.choice([0, 2, 4])), None))
        elif kind in ("issue_share", "sales_return"):
            ops.append((kind, rnd.randint(1, 100), None))
        else:
            ops.append((kind, None, None))
    return ops


def is_cents(x: D) -> bool:
    return x == money(x)


def run(ops):
    """Apply `ops`, checking each step; returns the balances and the valued rows."""
    b, rows, issues = Balance(), [], []
    for op, a, cost in ops:
        before = b
        if op == "receive":
            moved = receive(b, a, cost)
            # hand formula: value in = qty × cost to the cent; average = (V + v) / (Q + q)
            assert moved.value == money(a * cost)
            assert moved.after == Balance(before.qty + a, before.value + money(a * cost))
            assert moved.after.average_cost == (before.value + money(a * cost)) / (before.qty + a)
            # … which is the quantity-weighted mean of the old average and the cost, up to
            # the receipt's half-cent rounding spread over the new quantity
            old_avg = before.average_cost or D(0)
            weighted = (before.qty * old_avg + a * cost) / (before.qty + a)
            assert abs(moved.after.average_cost - weighted) <= D("0.005") / (before.qty + a) + D(
                "1e-15"
            )
        elif op == "sales_return":
            if not issues:
                continue
            src = issues[a % len(issues)]  # some earlier issue comes back, 1 unit
            moved = value_move(b, D(1), unit_cost=src.unit_cost)
            assert moved.value == money(src.unit_cost)
        else:
            qty = {
                "issue": a,
                "issue_share": (b.qty * (a or 1) / 100).quantize(D("0.0001")),
                "issue_all": b.qty,
            }[op]
            if qty > b.qty:
                with pytest.raises(InsufficientStock):
                    issue(b, qty)
                continue
            moved = issue(b, qty)  # at the average: never refused when the stock is there
            issues.append(moved)
            if moved.after.qty == 0:
                # the last units take exactly what is left: quantity 0 means value 0
                assert moved.value == -before.value and moved.after.value == 0
            else:
                # issued at the average, rounded half up to the cent …
                assert abs(-moved.value - qty * before.value / before.qty) <= D("0.005")
                # … so the average moves by at most half a cent over what stays
                drift = abs(moved.after.average_cost - before.average_cost)
                assert drift <= D("0.005") / moved.after.qty + D("1e-15")
        assert isinstance(moved.value, D) and isinstance(moved.unit_cost, D)
        assert is_cents(moved.value)
        expected_cost = (
            (abs(moved.value) / abs(moved.qty)).quantize(D("0.000001")) if moved.qty else D(0)
        )
        assert moved.unit_cost == expected_cost
        b = moved.after
        assert b.qty >= 0 and b.value >= 0 and is_cents(b.value)
        assert b.qty != 0 or b.value == 0
        rows.append(moved)
    return b, rows


def check_no_drift(b, rows):
    qty = value = D(0)
    for r in rows:  # every running balance is the sum of the movements so far
        qty, value = qty + r.qty, value + r.value
        assert r.after == Balance(qty, value)
    assert b == Balance(qty, value)


def check_unwind(b, rows):
    """What cancelling does: each row's exact negative, newest first, is never refused
    and walks back through every earlier balance to empty."""
    for r in reversed(rows):
        undo = value_move(b, -r.qty, value=-r.value)
        assert undo.value == -r.value
        b = undo.after
        assert b == Balance(r.after.qty - r.qty, r.after.value - r.value)
    assert b.qty == 0 and b.value == 0


@SEQUENCES
@given(OPS)
def test_value_never_drifts_from_the_sum_of_movements(ops):
    check_no_drift(*run(ops))


@SEQUENCES
@given(OPS)
def test_exact_reversals_in_reverse_order_unwind_to_nothing(ops):
    check_unwind(*run(ops))


@SEEDS
@given(st.integers(0, 2**64 - 1))
def test_seeded_sequences_keep_every_invariant(seed):
    b, rows = run(ops_from_seed(seed))
    check_no_drift(b, rows)
    check_unwind(b, rows)


@settings(max_examples=3000, deadline=None)
@given(scaled(1, 1_000_000_000, 4), scaled(0, 100_000_000, 2), scaled(1, 1_000_000_000, 4))
def test_issue_at_average_leaves_the_average_to_half_a_cent(on_hand, value, qty):
    b = Balance(on_hand, value)
    if qty > on_hand:
        with pytest.raises(InsufficientStock):
            issue(b, qty)
        return
    out = issue(b, qty)
    if qty == on_hand:
        assert out.after == Balance(D(0), D(0)) and out.value == -value
        return
    assert out.value == -money(qty * value / on_hand)
    assert abs(out.after.average_cost - b.average_cost) <= D("0.005") / out.after.qty + D("1e-15")
    assert 0 <= out.after.value <= value


def test_the_core_modules_are_pure():
    """rules.py and valuation.py import nothing but the standard library's numbers and
    dataclasses, the domain errors and each other: no SQLAlchemy, no I/O."""
    import ast
    from pathlib import Path

    import transactional.ledger as ledger

    allowed = {
        "__future__",
        "collections",
        "collections.abc",
        "dataclasses",
        "decimal",
        "transactional.errors",
        "transactional.ledger.rules",
    }
    for name in ("rules.py", "valuation.py"):
        tree = ast.parse((Path(ledger.__file__).parent / name).read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert imported <= allowed, (name, imported - allowed)
