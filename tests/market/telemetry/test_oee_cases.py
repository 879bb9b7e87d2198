"""OEE (ISO 22400-2) checked against hand-computed days, including the edge cases: no
planned time, counter resets, readings past midnight, DST days in the factory's zone."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from market.telemetry import calendar as cal
from market.telemetry.intervals import Carry, Point, counter_increments, machine_day
from market.telemetry.oee import Figures

SH = "Asia/Shanghai"
BERLIN = "Europe/Berlin"
WEEKDAYS = {str(d): [["08:00", "20:00"]] for d in range(5)}
LONG = timedelta(hours=6)


def local(day: date, hhmm: str, tz: str = SH) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, tzinfo=ZoneInfo(tz)).astimezone(timezone.utc)


def p(t, state=None, reason=None, total=None, good=None) -> Point:
    return Point(t, state, reason, total, good)


def figures_of(day_figures, ideal_ms=None) -> Figures:
    ideal = ideal_ms * day_figures.total if ideal_ms else None
    return Figures(day_figures.planned_s, day_figures.run_s, day_figures.total, day_figures.good, ideal,
                   day_figures.run_s if ideal_ms else 0)


def test_a_shift_with_setup_a_break_and_a_breakdown_matches_the_hand_computation():
    day = date(2026, 3, 4)  # a Wednesday
    pts = [p(local(day, "08:00"), "setup"), p(local(day, "08:30"), "running", total=0, good=0),
           p(local(day, "12:00"), "planned_stop", "break", 200, 196), p(local(day, "12:30"), "running"),
           p(local(day, "16:00"), "down", "spindle_fault"), p(local(day, "17:00"), "running"),
           p(local(day, "20:00"), "idle", total=500, good=490)]
    lo, hi = cal.day_bounds(day, SH)
    fig = machine_day(pts, Carry(), lo, hi, now=hi + timedelta(days=1), planned=cal.shift_spans(WEEKDAYS, SH, day),
                      offline_after=LONG)
    # planned: 12 h shift minus the 30 min break; running inside it: 3.5 + 3.5 + 3 h
    assert (fig.planned_s, fig.run_s, fig.run_total_s) == (41400, 36000, 36000)
    assert (fig.total, fig.good) == (500, 490)
    assert fig.seconds == {"offline": 28800, "setup": 1800, "running": 36000, "planned_stop": 1800,
                           "down": 3600, "idle": 14400}
    f = figures_of(fig, ideal_ms=60_000)
    assert f.availability == pytest.approx(36000 / 41400)
    assert f.performance == pytest.approx(60 * 500 / 36000)
    assert f.quality == pytest.approx(0.98)
    assert f.oee == pytest.approx(60 * 490 / 41400)  # = ideal x good / planned, 0.7101...


def test_a_day_without_planned_time_has_no_availability_and_no_oee():
    day = date(2026, 3, 8)  # a Sunday: no shift
    pts = [p(local(day, "09:00"), "running", total=0, good=0), p(local(day, "11:00"), "idle", total=100, good=100)]
    lo, hi = cal.day_bounds(day, SH)
    fig = machine_day(pts, Carry(), lo, hi, now=hi, planned=cal.shift_spans(WEEKDAYS, SH, day), offline_after=LONG)
    assert (fig.planned_s, fig.run_s, fig.run_total_s, fig.total) == (0, 0, 7200, 0)
    f = figures_of(fig, ideal_ms=60_000)
    assert (f.availability, f.performance, f.quality, f.oee) == (None, None, None, None)


def test_a_planned_day_that_produced_nothing_has_oee_zero_not_none():
    day = date(2026, 3, 4)
    lo, hi = cal.day_bounds(day, SH)
    fig = machine_day([p(local(day, "07:00"), "down", "hydraulics")], Carry(), lo, hi, now=hi,
                      planned=cal.shift_spans(WEEKDAYS, SH, day), offline_after=timedelta(days=1))
    f = figures_of(fig, ideal_ms=60_000)
    assert (fig.planned_s, f.availability, f.oee) == (43200, 0.0, 0.0)


def test_a_counter_reset_counts_the_parts_made_since_the_reset():
    t = datetime(2026, 3, 4, 2, tzinfo=timezone.utc)
    pts = [p(t, total=100, good=100), p(t + timedelta(minutes=10), total=150, good=149),
           p(t + timedelta(minutes=20), total=5, good=5), p(t + timedelta(minutes=30), total=20, good=19)]
    assert counter_increments(pts, Carry()) == [(pts[1].ts, 50, 49), (pts[2].ts, 5, 5), (pts[3].ts, 15, 14)]
    # carried from the day before: the first reading of the day is a delta too
    assert counter_increments(pts[:1], Carry(total=90, good=88)) == [(pts[0].ts, 10, 12)]


def test_silence_longer_than_the_offline_limit_counts_as_offline():
    day = date(2026, 3, 4)
    lo, hi = cal.day_bounds(day, SH)
    pts = [p(local(day, "08:00"), "running"), p(local(day, "08:20"), total=10, good=10),
           p(local(day, "12:00"), total=40, good=40)]
    fig = machine_day(pts, Carry(), lo, hi, now=hi, planned=cal.shift_spans(WEEKDAYS, SH, day),
                      offline_after=timedelta(minutes=30))
    # running 08:00-08:50 (last heard 08:20 + 30 min), offline 08:50-12:00, running 12:00-12:30
    assert fig.run_s == 50 * 60 + 30 * 60
    assert ("offline", "no_data") in {(st, r) for _, _, st, r in fig.intervals}


def test_an_overnight_shift_is_split_at_local_midnight_into_both_days():
    cal_night = {"0": [["22:00", "06:00"]]}  # Monday night into Tuesday
    monday, tuesday = date(2026, 3, 2), date(2026, 3, 3)
    pts = [p(local(monday, "22:00"), "running"), p(local(tuesday, "01:00"), total=0, good=0),
           p(local(tuesday, "02:00"), "down", "tool_breakage"), p(local(tuesday, "03:00"), "running"),
           p(local(tuesday, "04:30"), total=60, good=60), p(local(tuesday, "06:00"), "idle", total=100, good=99)]
    m_lo, m_hi = cal.day_bounds(monday, SH)
    mon = machine_day([x for x in pts if x.ts < m_hi], Carry(), m_lo, m_hi, now=m_hi + timedelta(days=2),
                      planned=cal.shift_spans(cal_night, SH, monday), offline_after=LONG)
    carry = Carry("running", "", pts[0].ts)
    t_lo, t_hi = cal.day_bounds(tuesday, SH)
    tue = machine_day([x for x in pts if x.ts >= t_lo], carry, t_lo, t_hi, now=t_hi + timedelta(days=1),
                      planned=cal.shift_spans(cal_night, SH, tuesday), offline_after=LONG)
    assert (mon.planned_s, mon.run_s) == (2 * 3600, 2 * 3600)
    assert (tue.planned_s, tue.run_s) == (6 * 3600, 5 * 3600)
    assert (tue.total, tue.good) == (100, 99)
    assert tue.intervals[0][:3] == (t_lo, local(tuesday, "02:00"), "running")


def test_the_spring_forward_day_lasts_23_hours_and_its_night_shift_one_hour_less():
    day = date(2026, 3, 29)  # Europe/Berlin: 02:00 -> 03:00
    lo, hi = cal.day_bounds(day, BERLIN)
    assert (hi - lo) == timedelta(hours=23)
    round_the_clock = {str(d): [["00:00", "24:00"]] for d in range(7)}
    fig = machine_day([p(lo, "running")], Carry(), lo, hi, now=hi, planned=cal.shift_spans(round_the_clock, BERLIN, day),
                      offline_after=timedelta(days=2))
    assert (fig.planned_s, fig.run_s) == (23 * 3600, 23 * 3600)
    night = {"5": [["22:00", "06:00"]]}  # Saturday night into Sunday
    assert cal.shift_spans(night, BERLIN, day) == [(lo, local(day, "06:00", BERLIN))]
    assert cal.shift_spans(night, BERLIN, day)[0][1] - lo == timedelta(hours=5)


def test_the_fall_back_day_lasts_25_hours():
    day = date(2026, 10, 25)  # Europe/Berlin: 03:00 -> 02:00
    lo, hi = cal.day_bounds(day, BERLIN)
    assert (hi - lo) == timedelta(hours=25)
    night = {"5": [["22:00", "06:00"]]}
    (a, b), = cal.shift_spans(night, BERLIN, day)
    assert (a, b - a) == (lo, timedelta(hours=7))


@pytest.mark.parametrize("weekly,field", [
    ({"7": [["08:00", "16:00"]]}, "weekly.7"),
    ({"0": [["8:00", "16:00"]]}, "weekly.0"),
    ({"0": [["08:00", "08:00"]]}, "weekly.0"),
    ({"0": [["24:00", "06:00"]]}, "weekly.0"),
    ({"0": "08:00-16:00"}, "weekly.0"),
])
def test_a_bad_shift_calendar_is_refused_with_the_field(weekly, field):
    from market import errors

    with pytest.raises(errors.Invalid) as exc:
        cal.check_weekly(weekly)
    assert field in exc.value.errors
