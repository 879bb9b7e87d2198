"""Shift calendars with exceptions: China's public holidays and 调休 make-up workdays, a
factory's own closures and night shifts across midnight, checked against hand-computed OEE.
Every day is a fixed date of 2026 and every recompute runs at a fixed `NOW`: no wall clock."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from market.catalog.models import Machine
from market.db import unit_of_work
from market.telemetry import calendar as cal
from market.telemetry import holidays, rollup
from market.telemetry.dashboard import outside_calendar
from market.telemetry.ingest import insert_direct
from market.telemetry.readings import ReadingIn

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 10, 20, 4, tzinfo=timezone.utc)  # well after the days below
WEEKDAYS = {str(d): [["08:00", "20:00"]] for d in range(5)}  # the default calendar
NIGHTS = {str(d): [["22:00", "06:00"]] for d in range(5)}


def at(day: date, hhmm: str) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, tzinfo=SH).astimezone(timezone.utc)


def run(start: datetime, end: datetime, counters: tuple[int, int], parts: int, good: int) -> list[ReadingIn]:
    """Running from `start` to `end` with a heartbeat every 20 minutes (a device silent for
    30 minutes counts as offline), the counters rising from `counters` by `parts`/`good`
    (the last heartbeat carries the final counts), then idle."""
    total0, good0 = counters
    out, t, n = [ReadingIn(start, "running", None, total0, good0)], start, int((end - start) / timedelta(minutes=20))
    for i in range(1, n + 1):
        t = start + timedelta(minutes=20 * i)
        if t >= end:
            break
        out.append(ReadingIn(t, None, None, total0 + parts * i // n, good0 + good * i // n))
    out.append(ReadingIn(end, "idle", None, total0 + parts, good0 + good))
    return out


def load(app, machine_id: str, readings: list[ReadingIn], first: date, last: date) -> None:
    """Store the readings and recompute every local day first..last at NOW, as the periodic
    rollup would have done day after day (days without readings included)."""
    with app.app_context(), unit_of_work() as s:
        machine = s.scalar(select(Machine).where(Machine.public_id == UUID(machine_id)))
        insert_direct(s, machine.id, readings)
        days = {first + timedelta(days=i) for i in range((last - first).days + 1)}
        rollup.recompute_machine(s, machine.id, days, NOW)
        rollup.recompute_factory(s, machine.factory_id, days, NOW)
        s.commit()


def oee(client, factory_id: str, first: str, last: str, granularity: str = "month") -> list[dict]:
    r = client.get(f"/api/v1/factories/{factory_id}/oee?from={first}&to={last}&granularity={granularity}")
    assert r.status_code == 200, r.get_json()
    return r.get_json()["periods"]


# The National Day week of 2026 on M1 (ideal cycle 60 s/part), default calendar (weekdays
# 08:00-20:00). Per the State Council notice, 1-7 October are off and Saturday 10 October is
# worked (调休).
#   Oct 1 (Thu, holiday)   runs 09:00-13:00, 240 parts: overtime, not planned time
#   Oct 2-7                nothing (Oct 2, 5, 6, 7 are weekdays the weekly calendar would plan)
#   Oct 8 (Thu)            runs 08:00-18:00 (10 h), 540 parts, 528 good
#   Oct 9 (Fri)            runs 08:00-12:00, down 12:00-14:00, runs 14:00-19:00 (9 h), 480 parts, 474 good
#   Oct 10 (Sat, 调休)     works Monday's shift 08:00-20:00, runs 08:00-16:00 (8 h), 420 parts, all good
# By hand, over 1-10 October:
#   planned (PBT)   = 3 days x 12 h                      = 36 h = 129,600 s
#   running (APT)   = 10 + 9 + 8 h                        = 27 h =  97,200 s
#   parts           = 540 + 480 + 420 = 1,440; good = 528 + 474 + 420 = 1,422
#   availability    = 97,200 / 129,600                    = 0.75
#   performance     = 60 s x 1,440 / 97,200 s             = 86,400 / 97,200 = 8/9
#   quality         = 1,422 / 1,440                       = 0.9875
#   OEE             = 0.75 x 8/9 x 0.9875 = 60 x 1,422 / 129,600 = 85,320 / 129,600 = 0.658333...
# A weekly-only calendar would plan Oct 1, 2, 5, 6, 7, 8, 9 (84 h) and not Oct 10.
HOLIDAY_WEEK = dict(planned_s=129_600, run_s=97_200, total=1_440, good=1_422)
HOLIDAY_WEEK_OEE = 85_320 / 129_600


def national_day_readings() -> list[ReadingIn]:
    d = date(2026, 10, 1)
    readings = run(at(d, "09:00"), at(d, "13:00"), (0, 0), 240, 240)
    d = date(2026, 10, 8)
    readings += run(at(d, "08:00"), at(d, "18:00"), (240, 240), 540, 528)
    d = date(2026, 10, 9)
    readings += run(at(d, "08:00"), at(d, "12:00"), (780, 768), 200, 198)[:-1]
    readings += [ReadingIn(at(d, "12:00"), "down", "spindle_fault", 980, 966)]
    readings += run(at(d, "14:00"), at(d, "19:00"), (980, 966), 280, 276)
    d = date(2026, 10, 10)
    readings += run(at(d, "08:00"), at(d, "16:00"), (1260, 1242), 420, 420)
    return readings


@pytest.fixture
def national_day(app, plant):
    client, m1 = plant["client"], plant["machines"][0]["id"]
    r = client.put(f"/api/v1/machines/{m1}/telemetry-profile", json={"ideal_cycle_s": 60})
    assert r.status_code == 200, r.get_json()
    load(app, m1, national_day_readings(), date(2026, 10, 1), date(2026, 10, 10))
    return plant


def test_oee_over_the_2026_national_day_week_and_its_makeup_saturday_matches_the_hand_computation(national_day):
    client, factory = national_day["client"], national_day["factory"]["id"]
    (period,) = oee(client, factory, "2026-10-01", "2026-10-10")
    assert {k: period[k] for k in HOLIDAY_WEEK} == HOLIDAY_WEEK
    assert period["availability"] == pytest.approx(0.75, rel=1e-12)
    assert period["performance"] == pytest.approx(8 / 9, rel=1e-12)
    assert period["quality"] == pytest.approx(0.9875, rel=1e-12)
    assert period["oee"] == pytest.approx(HOLIDAY_WEEK_OEE, rel=1e-12)
    days = {p["start"]: p for p in oee(client, factory, "2026-10-01", "2026-10-10", "day")}
    assert [days[f"2026-10-0{d}"]["planned_s"] for d in range(1, 8)] == [0] * 7  # the holiday: not planned
    assert days["2026-10-10"]["planned_s"] == 43_200  # the 调休 Saturday: a 12 h weekday shift


def test_a_closure_takes_its_days_out_of_planned_time_and_removing_it_brings_them_back(national_day):
    client, factory = national_day["client"], national_day["factory"]["id"]
    url = f"/api/v1/factories/{factory}/calendar-closures"
    r = client.post(url, json={"first_day": "2026-10-08", "last_day": "2026-10-09", "reason": "annual maintenance"})
    assert r.status_code == 201, r.get_json()
    closure = r.get_json()
    assert (closure["first_day"], closure["last_day"], closure["reason"]) == ("2026-10-08", "2026-10-09", "annual maintenance")
    assert client.get(url).get_json()["items"] == [closure]
    # only Oct 10 is planned now: 12 h, run 8 h, 420 parts all good: OEE = 60 x 420 / 43,200 = 0.5833...
    (period,) = oee(client, factory, "2026-10-01", "2026-10-10")
    assert (period["planned_s"], period["run_s"], period["total"], period["good"]) == (43_200, 28_800, 420, 420)
    assert period["oee"] == pytest.approx(25_200 / 43_200, rel=1e-12)
    assert client.delete(f"{url}/{closure['id']}").status_code == 204
    assert client.get(url).get_json()["items"] == []
    (period,) = oee(client, factory, "2026-10-01", "2026-10-10")
    assert {k: period[k] for k in HOLIDAY_WEEK} == HOLIDAY_WEEK


def test_a_night_shift_belongs_to_the_day_it_starts_on_across_the_holiday(app, plant):
    """Nights 22:00-06:00 Monday to Friday. Sep 30 (Wed) is a workday: its night runs into
    Oct 1 in full. Oct 1-7 are off: their nights are not planned, so Oct 2 has no planned
    time although the machine ran the night before. Oct 10 (调休 Saturday) works a weekday
    night, which runs into Sunday Oct 11 (a Sunday with no shift of its own)."""
    client, factory, m1 = plant["client"], plant["factory"]["id"], plant["machines"][0]["id"]
    assert client.put(f"/api/v1/factories/{factory}/shift-calendar", json={"weekly": NIGHTS}).status_code == 200
    # (from 22:10 no heartbeat falls on midnight itself; one that does counts on the day before:
    # test_parts_reported_at_local_midnight_of_a_night_shift_count_once_on_the_day_before)
    readings = run(at(date(2026, 9, 30), "22:10"), at(date(2026, 10, 1), "06:00"), (0, 0), 400, 400)
    readings += run(at(date(2026, 10, 1), "22:00"), at(date(2026, 10, 2), "06:00"), (400, 400), 300, 300)
    readings += run(at(date(2026, 10, 10), "22:00"), at(date(2026, 10, 11), "05:00"), (700, 700), 350, 350)
    load(app, m1, readings, date(2026, 9, 30), date(2026, 10, 11))
    days = {p["start"]: p for p in oee(client, factory, "2026-09-30", "2026-10-11", "day")}
    # Sep 30: 00:00-06:00 from Tuesday's night and 22:00-24:00 of its own; it ran 22:10-24:00
    assert (days["2026-09-30"]["planned_s"], days["2026-09-30"]["run_s"]) == (8 * 3600, 110 * 60)
    assert (days["2026-10-01"]["planned_s"], days["2026-10-01"]["run_s"]) == (6 * 3600, 6 * 3600)
    # the night's 400 parts count on the day each heartbeat reports them: 23 heartbeat steps
    # of 20 min, 5 of them before midnight (400 x 5 // 23 = 86), the rest (314) on Oct 1
    assert (days["2026-09-30"]["total"], days["2026-10-01"]["total"]) == (86, 314)
    assert (days["2026-10-02"]["planned_s"], days["2026-10-02"]["run_s"], days["2026-10-02"]["total"]) == (0, 0, 0)
    assert days["2026-10-08"]["planned_s"] == 2 * 3600  # Oct 7's night was a holiday's, Oct 8's starts at 22:00
    # Oct 10: Friday's night until 06:00 and its own weekday night from 22:00
    assert days["2026-10-10"]["planned_s"] == 8 * 3600
    assert (days["2026-10-11"]["planned_s"], days["2026-10-11"]["run_s"]) == (6 * 3600, 5 * 3600)


def test_the_calendar_names_each_kind_of_day_and_a_closure_beats_a_makeup_day():
    calendar = cal.Calendar(WEEKDAYS, "Asia/Shanghai", ((date(2026, 2, 28), date(2026, 3, 1)),), public_holidays=True)
    assert calendar.kind(date(2026, 10, 1)) == cal.HOLIDAY
    assert calendar.kind(date(2026, 10, 10)) == cal.MAKEUP and calendar.kind(date(2026, 9, 20)) == cal.MAKEUP  # Sat, Sun
    assert calendar.kind(date(2026, 2, 28)) == cal.CLOSED  # a 调休 Saturday the factory closes anyway
    assert calendar.kind(date(2026, 10, 12)) == cal.ORDINARY
    assert calendar.spans(date(2026, 9, 20)) == [(at(date(2026, 9, 20), "08:00"), at(date(2026, 9, 20), "20:00"))]
    assert calendar.spans(date(2026, 2, 28)) == []
    # a factory that runs through the holidays plans by its weekly shifts alone
    plain = cal.Calendar(WEEKDAYS, "Asia/Shanghai", (), public_holidays=False)
    assert plain.kind(date(2026, 10, 1)) == cal.ORDINARY and plain.spans(date(2026, 10, 10)) == []
    assert plain.spans(date(2026, 10, 1)) == cal.shift_spans(WEEKDAYS, "Asia/Shanghai", date(2026, 10, 1))


def test_a_year_the_holiday_data_does_not_cover_plans_by_the_weekly_shifts():
    assert holidays.covers(date(2026, 10, 1)) and holidays.LAST_YEAR >= 2026
    later = date(holidays.LAST_YEAR + 1, 10, 1)
    assert not holidays.covers(later)
    calendar = cal.Calendar(WEEKDAYS, "Asia/Shanghai", (), public_holidays=True)
    assert calendar.spans(later) == cal.shift_spans(WEEKDAYS, "Asia/Shanghai", later)


def test_running_outside_planned_time_is_explained_by_the_kind_of_day():
    calendar = cal.Calendar(WEEKDAYS, "Asia/Shanghai", ((date(2026, 10, 12), date(2026, 10, 12)),), public_holidays=True)
    rows = [(date(2026, 10, 1), 4 * 3600, 0),  # a holiday
            (date(2026, 10, 12), 3600, 0),  # the closure
            (date(2026, 10, 13), 14 * 3600, 12 * 3600),  # 2 h past the shift
            (date(2026, 10, 14), 12 * 3600 + 30, 12 * 3600)]  # 30 s at the edge: nothing to explain
    assert outside_calendar(rows, calendar) == {"hours": 7.0, "holiday": 1, "closed": 1, "other": 1}
    assert outside_calendar(rows[-1:], calendar) is None


@pytest.mark.parametrize("body, field", [
    ({"first_day": "2026-10-32"}, "first_day"),
    ({"last_day": "2026-10-08"}, "first_day"),
    ({"first_day": "2026-10-08", "last_day": "2026-10-07"}, "last_day"),
    ({"first_day": "2026-01-01", "last_day": "2027-01-02"}, "last_day"),  # 367 days
    ({"first_day": "2026-10-08", "reason": "x" * 201}, "reason"),
    ({"first_day": "2026-10-08", "closed": True}, "closed"),
])
def test_a_bad_closure_is_refused_naming_the_field(plant, body, field):
    r = plant["client"].post(f"/api/v1/factories/{plant['factory']['id']}/calendar-closures", json=body)
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["errors"], r.get_json()


def test_a_closure_refusal_speaks_chinese_to_a_chinese_reader(plant):
    r = plant["client"].post(f"/api/v1/factories/{plant['factory']['id']}/calendar-closures",
                             json={"first_day": "2026-10-08", "last_day": "2026-10-07"}, headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 422
    assert r.get_json()["errors"]["last_day"] == ["结束日期不能早于开始日期。"]


def test_another_tenants_factory_has_no_closures_to_read_and_a_buyer_cannot_add_one(plant, api, tenant):
    url = f"/api/v1/factories/{plant['factory']['id']}/calendar-closures"
    other = api(tenant("factory"))
    assert other.get(url).status_code == 404
    assert other.post(url, json={"first_day": "2026-10-08"}).status_code == 404
    assert api(tenant("buyer")).post(url, json={"first_day": "2026-10-08"}).status_code in (403, 404)


@pytest.mark.parametrize("language, words", [("en", "closures: 1 days"), ("zh-CN", "停产 1 天")])
def test_the_machine_data_page_says_why_running_on_a_closed_day_is_not_in_oee(app, plant, language, words):
    """Wall-clock relative like the page itself (its trend is the last 30 days): a closure
    three days back, the machine running four hours on it."""
    from tests.market.telemetry.conftest import iso, recent_midnight_shanghai
    from tests.market.telemetry.conftest import rollup as drain

    client, factory = plant["client"], plant["factory"]["id"]
    midnight = recent_midnight_shanghai(3)
    day = (midnight + timedelta(hours=8)).date().isoformat()
    assert client.post(f"/api/v1/factories/{factory}/calendar-closures", json={"first_day": day}).status_code == 201
    readings = [{"ts": iso(r.ts), **({"state": r.state} if r.state else {}), "total": r.total, "good": r.good}
                for r in run(midnight + timedelta(hours=9), midnight + timedelta(hours=13), (0, 0), 100, 100)]
    r = plant["devices"][0].post("/api/v1/telemetry", json={"readings": readings})
    assert r.status_code == 200 and not r.get_json().get("rejected"), r.get_json()
    drain(app)
    portal = app.test_client()
    headers = {"Accept-Language": language}
    assert portal.post("/login", data={"email": plant["tenant"].email, "password": "correct-horse-1"},
                       headers=headers).status_code == 302
    page = portal.get(f"/factories/{factory}/telemetry", headers=headers).get_data(as_text=True)
    line = page.split('id="outside-calendar">', 1)[1].split("</p>", 1)[0]
    assert words in line and ("4.0 h" in line or "4.0 小时" in line), line


# Monday 12 October 2026, an ordinary week: the night 22:00-06:00 runs into Tuesday, with a
# heartbeat every 20 minutes, so one lands exactly on local midnight. A counter reading
# reports the parts made up to its moment: the one at 00:00 reports Monday night's work.
MONDAY, TUESDAY = date(2026, 10, 12), date(2026, 10, 13)


def test_parts_reported_at_local_midnight_of_a_night_shift_count_once_on_the_day_before(app, plant):
    client, factory, m1 = plant["client"], plant["factory"]["id"], plant["machines"][0]["id"]
    assert client.put(f"/api/v1/factories/{factory}/shift-calendar", json={"weekly": NIGHTS}).status_code == 200
    readings = run(at(MONDAY, "22:00"), at(TUESDAY, "06:00"), (0, 0), 480, 480)
    assert at(TUESDAY, "00:00") in {r.ts for r in readings}
    load(app, m1, readings, MONDAY, TUESDAY)
    days = {p["start"]: p for p in oee(client, factory, "2026-10-12", "2026-10-13", "day")}
    # 24 heartbeat steps of 20 units; 6 of them up to and including 00:00 (120 parts)
    assert (days["2026-10-12"]["total"], days["2026-10-13"]["total"]) == (120, 360)
    assert days["2026-10-12"]["total"] + days["2026-10-13"]["total"] == 480


def test_a_late_reading_at_local_midnight_recomputes_the_day_it_reports_on(app, plant):
    """Through the ingest path and the dirty-day rollup, NOW injected: the midnight heartbeat
    arrives after the rest of the night was rolled up, and must reach Monday's figures."""
    from market.telemetry import devices, dirty, ingest

    client, factory = plant["client"], plant["factory"]["id"]
    assert client.put(f"/api/v1/factories/{factory}/shift-calendar", json={"weekly": NIGHTS}).status_code == 200
    raws = [{"ts": r.ts.isoformat(), **({"state": r.state} if r.state else {}), "total": r.total, "good": r.good}
            for r in run(at(MONDAY, "22:00"), at(TUESDAY, "06:00"), (0, 0), 480, 480)]
    midnight = next(r for r in raws if r["ts"] == at(TUESDAY, "00:00").isoformat())
    with app.app_context():
        device = devices.authenticate(plant["tokens"][0])
        assert ingest.ingest(device, [r for r in raws if r is not midnight], now=NOW).stored == len(raws) - 1
        dirty.drain(NOW)
        assert ingest.ingest(device, [midnight], now=NOW).stored == 1
        dirty.drain(NOW)
    days = {p["start"]: p for p in oee(client, factory, "2026-10-12", "2026-10-13", "day")}
    assert (days["2026-10-12"]["total"], days["2026-10-13"]["total"]) == (120, 360)
