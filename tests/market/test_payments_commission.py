"""The commission split is pure arithmetic on integers: known answers, and for any order
the shares add up to what the buyer pays, to the minor unit."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.payments.commission import DEFAULT_RULES, Line, Rule, allocate, scaled_commission, split, transport_shares


def test_percent_minimum_and_cap_per_process_class():
    assert Rule(800, 500).on(100000) == 8000
    assert Rule(800, 500).on(1000) == 500  # the minimum
    assert Rule(800, 500).on(300) == 300  # never more than the amount
    assert Rule(750, 0).on(333) == 25  # 24.975 rounds half up


def test_a_split_order_pays_each_factory_its_lines_and_the_legs_it_ships():
    lines = [Line(1, 1, "machining", 100000), Line(2, 2, "surface_treatment", 40000), Line(3, 2, "metrology", 20000)]
    shares = {s.factory_id: s for s in split(lines, 3000, DEFAULT_RULES, {})}
    assert (shares[1].gross_minor, shares[1].commission_minor, shares[1].net_minor) == (103000, 8000, 95000)
    assert (shares[2].gross_minor, shares[2].commission_minor, shares[2].net_minor) == (60000, 4200, 55800)
    pro = {s.factory_id: s for s in split(lines, 3000, DEFAULT_RULES, {1: "pro"})}
    assert pro[1].commission_minor == 5000 and pro[2].commission_minor == 4200


def test_transport_goes_to_the_shipping_factories_evenly():
    lines = [Line(1, 1, "m", 1), Line(2, 2, "m", 1), Line(3, 1, "m", 1)]
    assert transport_shares(lines, 1001) == {1: 501, 2: 500}
    assert transport_shares([Line(1, 7, "m", 1)], 90) == {7: 90}
    assert transport_shares(lines, 0) == {}


def test_allocation_is_proportional_exact_and_bounded():
    assert allocate(16300, [103000, 60000]) == [10300, 6000]
    assert allocate(2, [1, 1, 1]) == [1, 1, 0]
    with pytest.raises(ValueError, match="cannot allocate 5 over weights summing to 3"):
        allocate(5, [1, 1, 1])
    assert scaled_commission(8000, 103000, 92700) == 7200


@given(st.lists(st.tuples(st.integers(1, 4), st.sampled_from(["machining", "testing", "metrology", "assembly"]),
                          st.integers(0, 10**9)), min_size=1, max_size=20),
       st.integers(0, 10**7), st.dictionaries(st.integers(1, 4), st.sampled_from(["free", "pro"])))
def test_shares_always_add_up_to_what_the_buyer_pays(raw, transport, tiers):
    lines = [Line(seq, factory, cls, price) for seq, (factory, cls, price) in enumerate(raw, start=1)]
    shares = split(lines, transport, DEFAULT_RULES, tiers)
    assert sum(s.gross_minor for s in shares) == sum(p for *_x, p in raw) + transport
    assert all(0 <= s.commission_minor <= s.lines_minor for s in shares)


@given(st.integers(0, 10**9), st.lists(st.integers(0, 10**8), min_size=1, max_size=8))
def test_allocate_never_loses_a_minor_unit(amount, weights):
    amount = min(amount, sum(weights))
    parts = allocate(amount, weights)
    assert sum(parts) == amount and all(0 <= p <= w for p, w in zip(parts, weights))
