from datetime import date, time, timedelta

import pytest

from market.catalog.recurrence import Recurrence, expand
from market.errors import IllegalTransition, Invalid
from market.orders.states import allowed_targets, check_transition


def test_night_shifts_run_past_midnight_in_the_factory_zone():
    rule = Recurrence(date(2031, 3, 3), 1, (0, 2), time(22), time(6))  # Monday and Wednesday
    spans = expand(rule, "Asia/Shanghai")
    assert [(s.isoformat(), e.isoformat()) for s, e in spans] == [
        ("2031-03-03T14:00:00+00:00", "2031-03-03T22:00:00+00:00"),
        ("2031-03-05T14:00:00+00:00", "2031-03-05T22:00:00+00:00"),
    ]


def test_a_shift_across_a_dst_change_keeps_its_wall_clock_hours():
    # Berlin springs forward on 2031-03-30 at 02:00: the 22:00-06:00 shift is 7 real hours
    rule = Recurrence(date(2031, 3, 29), 1, (5, 6), time(22), time(6))
    (sat_start, sat_end), (sun_start, sun_end) = expand(rule, "Europe/Berlin")
    assert sat_end - sat_start == timedelta(hours=7)
    assert sun_end - sun_start == timedelta(hours=8)


@pytest.mark.parametrize("kwargs, field", [
    ({"weeks": 0}, "weeks"), ({"weeks": 27}, "weeks"), ({"weekdays": ()}, "weekdays"),
    ({"weekdays": (7,)}, "weekdays"), ({"end_time": time(22)}, "end_time"),
])
def test_bad_rules_name_the_field(kwargs, field):
    args = {"first_date": date(2031, 1, 1), "weeks": 1, "weekdays": (0,), "start_time": time(22), "end_time": time(6)}
    with pytest.raises(Invalid) as err:
        Recurrence(**{**args, **kwargs})
    assert field in err.value.errors


def test_the_happy_path_of_an_order_is_legal_for_the_right_parties():
    path = [("draft", "open", "buyer"), ("open", "quoted", "system"), ("quoted", "accepted", "buyer"),
            ("accepted", "in_production", "factory"), ("in_production", "shipped", "factory"),
            ("shipped", "delivered", "buyer"), ("delivered", "closed", "system")]
    for current, target, party in path:
        check_transition(current, target, party, via_service=(current, target) == ("quoted", "accepted"))


def test_only_quote_acceptance_enters_accepted():
    for party in ("buyer", "operator", "system"):
        with pytest.raises(IllegalTransition, match="accept one of its quotes"):
            check_transition("quoted", "accepted", party)
        assert "accepted" not in allowed_targets("quoted", party)


@pytest.mark.parametrize("current, target, party", [
    ("draft", "shipped", "buyer"), ("accepted", "in_production", "buyer"), ("shipped", "delivered", "factory"),
    ("closed", "open", "operator"), ("open", "flying", "buyer"),
])
def test_illegal_moves_are_refused_with_a_reason(current, target, party):
    with pytest.raises(IllegalTransition) as err:
        check_transition(current, target, party)
    assert current in err.value.detail and target in err.value.detail


def test_a_factory_may_only_start_and_ship():
    assert allowed_targets("accepted", "factory") == ["in_production"]
    assert allowed_targets("in_production", "factory") == ["shipped"]
    assert allowed_targets("open", "factory") == []
