"""Problem data validates itself and names the offending values."""

from decimal import Decimal

import pytest

from scheduling import Job, Leg, Machine, Operation, PricingMode, Problem, Site, Window


def test_window_end_must_follow_start():
    with pytest.raises(ValueError, match="window end 10 must be after start 20"):
        Window(20, 10)


def test_overlapping_windows_on_one_machine_are_rejected_with_both_ranges():
    with pytest.raises(ValueError, match=r"\[0, 100\) and \[50, 150\) overlap"):
        Machine("m1", "s", {"mill"}, [Window(0, 100), Window(50, 150)])


def test_quality_outside_zero_one_is_rejected():
    with pytest.raises(ValueError, match="quality 1.5"):
        Site("s", 1.5)


def test_duration_is_the_ceiling_of_setup_plus_quantity_times_decimal_run_minutes():
    op = Operation("mill", Decimal("12.5"), Decimal("0.33"))
    assert op.duration(10) == 16  # 12.5 + 3.3 = 15.8 -> 16
    assert Operation("mill", 0, "0.1").duration(10) == 1
    assert Operation("mill", 0, 0.1).duration(3) == 1  # floats go through their decimal text


def test_pricing_modes_round_up_to_whole_minor_units():
    assert Window(0, 10, PricingMode.PER_HOUR, 100).price_for(minutes=61, quantity=5, value=0) == 102
    assert Window(0, 10, "per_piece", 7).price_for(minutes=61, quantity=5, value=0) == 35
    assert Window(0, 10, "percent_of_value", 250).price_for(minutes=1, quantity=1, value=1001) == 26


def test_job_due_before_release_is_rejected():
    with pytest.raises(ValueError, match="due 5 is before release 10"):
        Job("j", 1, [Operation("mill", 1)], due=5, release=10)


def test_machine_at_unknown_site_is_rejected():
    with pytest.raises(ValueError, match="machine 'm' is at unknown site 'nowhere'"):
        Problem([Site("s")], [Machine("m", "nowhere", {"mill"}, [Window(0, 10)])], [])


def test_missing_transport_between_used_sites_without_locations_is_rejected():
    machines = [Machine("m1", "a", {"x"}, [Window(0, 10)]), Machine("m2", "b", {"x"}, [Window(0, 10)])]
    with pytest.raises(ValueError, match="no transport between sites 'a' and 'b'"):
        Problem([Site("a"), Site("b")], machines, [])


def test_transport_falls_back_to_the_reverse_leg_then_to_distance():
    machines = [Machine("m1", "a", {"x"}, [Window(0, 10)]), Machine("m2", "b", {"x"}, [Window(0, 10)]),
                Machine("m3", "c", {"x"}, [Window(0, 10)])]
    sites = [Site("a", location=(31.3, 120.6)), Site("b", location=(31.3, 120.6)), Site("c", location=(22.9, 113.7))]
    p = Problem(sites, machines, [], {("a", "b"): Leg(30, 500)})
    assert p.leg("b", "a") == Leg(30, 500)
    assert p.leg("a", "a") == Leg(0, 0)
    far = p.leg("a", "c")
    assert far.minutes > 1000 and far.cost > 100_000


def test_horizon_is_derived_from_the_data():
    p = Problem([Site("s")], [Machine("m", "s", {"x"}, [Window(0, 10), Window(500, 900)])],
                [Job("j", 1, [Operation("x", 1)], due=1200)])
    assert p.horizon == 1200
