"""Credit features from real telemetry: readings posted by edge devices through
`POST /api/v1/telemetry`, rolled up, committed to the ledger day by day, then read by a
lender's report — OEE level, trend and stability, utilization, downtime share and MTTR
checked against a hand computation, a planned day that never ran counted as OEE 0, the
OEE evidence verified by `python -m ledger verify-evidence`, and the report's OEE chart."""
from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from tests.market.telemetry.conftest import (  # noqa: F401 (fixtures)
    frozen_reference_now, iso, plant, recent_midnight_shanghai)

SHIFT = ("08:00", "16:00")  # every day of the week: 8 planned hours per machine
IDEAL_S = (30, 60)  # ideal cycle of M1, M2
RUN, DOWN, IDLE = "running", "down", "idle"

# days ago -> per machine: (from hour, to hour, state, reason, parts per 10 min, good per 10 min)
PLAN = {
    7: ([(8, 16, RUN, "", 16, 15)], [(8, 16, RUN, "", 8, 8)]),
    6: ([(8, 10, RUN, "", 16, 15), (10, 12, DOWN, "spindle_fault", 0, 0), (12, 16, RUN, "", 16, 16)],
        [(8, 16, RUN, "", 8, 8)]),
    5: ([(8, 16, DOWN, "spindle_fault", 0, 0)], [(8, 16, IDLE, "no_material", 0, 0)]),  # planned, never ran
    4: ([(8, 16, RUN, "", 18, 18)], [(8, 14, RUN, "", 8, 7), (14, 15, DOWN, "hydraulic_leak", 0, 0), (15, 16, RUN, "", 8, 8)]),
    3: ([(8, 12, RUN, "", 16, 16), (12, 16, IDLE, "no_order", 0, 0)], [(8, 16, RUN, "", 9, 9)]),
    2: ([(8, 16, RUN, "", 17, 16)], [(8, 16, RUN, "", 8, 8)]),
}


def readings(machine: int) -> list[dict]:
    """What machine `machine`'s gateway sends: a state reading at each change, cumulative
    counters every 10 minutes, and 'offline' at the end of the shift."""
    out, total, good = [], 0, 0
    for days_ago in sorted(PLAN, reverse=True):
        midnight = recent_midnight_shanghai(days_ago)
        state = None
        for step in range(8 * 6 + 1):  # 08:00 .. 16:00 every 10 minutes
            minutes = 8 * 60 + step * 10
            t = midnight + timedelta(minutes=minutes)
            if step:  # what the 10 minutes before this reading made
                seg = next(s for s in PLAN[days_ago][machine] if s[0] * 60 <= minutes - 10 < s[1] * 60)
                total, good = total + seg[4], good + seg[5]
            r = {"ts": iso(t), "total": total, "good": good}
            seg = next((s for s in PLAN[days_ago][machine] if s[0] * 60 <= minutes < s[1] * 60), None)
            now_state = (seg[2], seg[3]) if seg else ("offline", "off_shift")
            if now_state != state:
                r["state"] = now_state[0]
                if now_state[1]:
                    r["reason"] = now_state[1]
                state = now_state
            out.append(r)
    return out


def by_hand(days_ago: int) -> float | None:
    """The factory's OEE of a planned day from the plan alone (ISO 22400-2): availability
    run/planned, performance ideal cycle × parts / run, quality good / parts."""
    planned = run = parts = good = ideal = 0
    for machine, segments in enumerate(PLAN[days_ago]):
        planned += 8 * 3600
        for a, b, state, _, p, g in segments:
            slots = (b - a) * 6
            run += (b - a) * 3600 if state == RUN else 0
            parts, good, ideal = parts + p * slots, good + g * slots, ideal + IDEAL_S[machine] * p * slots
    if run == 0:
        return 0.0
    return (run / planned) * (ideal / run) * (good / parts)


def slope_per_30d(points: list[tuple[float, float]]) -> float:
    mt = sum(t for t, _ in points) / len(points)
    mx = sum(x for _, x in points) / len(points)
    return sum((t - mt) * (x - mx) for t, x in points) / sum((t - mt) ** 2 for t, _ in points) * 30


@pytest.fixture
def metered(app, plant, tenant, api):  # noqa: F811
    """The plant's two machines on an every-day 08:00-16:00 calendar with ideal cycles,
    their gateways' readings of six days posted, capacity published in the past (4 h booked
    of 10 h offered), the rollup run; a lender holding a consent."""
    from market.catalog.models import CapacityWindow, Factory
    from market.db import unit_of_work
    from market.telemetry import services as telemetry

    owner = plant["client"]
    r = owner.put(f"/api/v1/factories/{plant['factory']['id']}/shift-calendar",
                  json={"weekly": {str(d): [list(SHIFT)] for d in range(7)}})
    assert r.status_code == 200, r.get_json()
    for m, ideal in zip(plant["machines"], IDEAL_S):
        assert owner.put(f"/api/v1/machines/{m['id']}/telemetry-profile", json={"ideal_cycle_s": ideal}).status_code == 200
    for i, device in enumerate(plant["devices"]):
        batch = readings(i)
        r = device.post("/api/v1/telemetry", json={"readings": batch})
        assert r.status_code == 200 and r.get_json()["stored"] == len(batch) and not r.get_json()["rejected"], r.get_json()
    with app.app_context():
        with unit_of_work() as s:  # capacity this factory published weeks ago, on days without telemetry
            factory = s.query(Factory).filter_by(public_id=__import__("uuid").UUID(plant["factory"]["id"])).one()
            machine = factory.machines[0]
            night = recent_midnight_shanghai(20) + timedelta(hours=22)
            for start, hours, status in ((night, 4, "booked"), (night + timedelta(days=5), 6, "open")):
                s.add(CapacityWindow(machine_id=machine.id, factory_id=factory.id, start_at=start,
                                     end_at=start + timedelta(hours=hours), pricing_mode="per_hour", price=10000,
                                     status=status))
            s.commit()
        rolled = telemetry.rollup_all()
    assert rolled["machines"] == 2
    lender = tenant("lender", "Telemetry Bank")
    r = owner.post("/api/v1/credit/consents", json={"factory_id": plant["factory"]["id"],
                                                    "lender_id": str(lender.actor.org_public_id),
                                                    "purpose": "credit_assessment", "days": 30})
    assert r.status_code == 201, r.get_json()
    return {**plant, "lender": lender, "bank": api(lender)}


def _committed_days(app, factory_public_id: str) -> dict:
    """Local day -> (planned_s, run_s) of the factory-days committed to the ledger."""
    from sqlalchemy import select

    from market.catalog.models import Factory
    from market.db import unit_of_work
    from market.telemetry.models import FactoryDay

    with app.app_context(), unit_of_work() as s:
        factory = s.scalar(select(Factory).where(Factory.public_id == __import__("uuid").UUID(factory_public_id)))
        return {d.day: (d.planned_s, d.run_s) for d in s.scalars(select(FactoryDay).where(
            FactoryDay.factory_id == factory.id, FactoryDay.ledger_index.is_not(None)))}


def test_oee_utilization_downtime_and_mttr_from_posted_readings_match_the_hand_computation(app, metered, tmp_path):
    bank, fid = metered["bank"], metered["factory"]["id"]
    r = bank.post("/api/v1/credit/reports", json={"factory_id": fid})
    assert r.status_code == 201, r.get_json()
    report = r.get_json()
    shown = {f["name"]: f for f in report["content"]["features"]}

    # the days the ledger holds: the six played days, and yesterday once it has closed — the
    # gateways fell silent after day 2, so yesterday's planned shift shows as offline: OEE 0
    expected = {recent_midnight_shanghai(k).date() + timedelta(days=1): by_hand(k) for k in PLAN}
    committed = _committed_days(app, fid)
    yesterday = recent_midnight_shanghai(1).date() + timedelta(days=1)
    assert set(committed) - {yesterday} == set(expected)
    if yesterday in committed:
        assert committed[yesterday] == (2 * 8 * 3600, 0)
        expected[yesterday] = 0.0
    day5 = recent_midnight_shanghai(5).date() + timedelta(days=1)
    assert committed[day5] == (2 * 8 * 3600, 0) and expected[day5] == 0.0  # planned, never ran
    # one day by hand in full: M1 768 parts (720 good) at 30 s, M2 384 at 60 s, in 16 planned hours
    assert expected[recent_midnight_shanghai(7).date() + timedelta(days=1)] == pytest.approx(
        (768 * 30 + 384 * 60) / 57600 * (720 + 384) / (768 + 384))

    values = [expected[d] for d in sorted(expected)]
    as_of = datetime.fromisoformat(report["content"]["as_of"])
    points = [((datetime.combine(d, datetime.min.time(), timezone.utc) - as_of).total_seconds() / 86400, expected[d])
              for d in sorted(expected)]
    assert float(shown["oee_mean_90d"]["value"]) == pytest.approx(statistics.fmean(values), abs=1e-4)
    assert float(shown["oee_volatility_90d"]["value"]) == pytest.approx(statistics.pstdev(values), abs=1e-4)
    assert float(shown["oee_trend_180d"]["value"]) == pytest.approx(slope_per_30d(points), abs=1e-4)
    assert shown["oee_mean_90d"]["records"] == len(expected)  # the zero days are counted, not skipped
    # down: M1 2 h on day 6 and 8 h on day 5, M2 1 h on day 4 — three repairs over 2 machines × 90 days
    assert shown["downtime_share_90d"]["value"] == f"{11 * 3600 / (2 * 90 * 86400):.4f}"
    assert shown["mttr_hours_90d"]["value"] == f"{11 / 3:.4f}"
    assert shown["utilization_90d"]["value"] == "0.4000"  # 4 h booked of 10 h offered
    assert all(shown[n]["basis"] == "platform records" for n in ("utilization_90d", "downtime_share_90d", "mttr_hours_90d"))

    # the OEE figures verify against the ledger: the daily summaries are its commitments
    bundle = bank.get(f"/api/v1/credit/reports/{report['id']}/evidence").get_json()
    oee = {f["name"]: f for f in bundle["facts"] if f["name"].startswith("oee_")}
    assert len(oee) == 3 and all(f["value"] == shown[n]["value"] for n, f in oee.items())
    disclosed = {d["payload"]["day"] for d in bundle["disclosures"] if "planned_s" in d["payload"]}
    assert disclosed == {d.isoformat() for d in expected}
    path = tmp_path / "evidence.json"
    path.write_text(json.dumps(bundle))
    cli = subprocess.run([sys.executable, "-m", "ledger", "verify-evidence", str(path)], capture_output=True, text=True)
    assert cli.returncode == 0 and cli.stdout.startswith("OK"), cli.stdout + cli.stderr
    # a zero day dressed up as a running one no longer verifies
    forged = json.loads(json.dumps(bundle))
    k = next(i for i, d in enumerate(forged["disclosures"]) if d["payload"].get("day") == day5.isoformat())
    forged["disclosures"][k]["payload"]["run_s"] = 3600
    path.write_text(json.dumps(forged))
    cli = subprocess.run([sys.executable, "-m", "ledger", "verify-evidence", str(path)], capture_output=True, text=True)
    assert cli.returncode == 1 and "do not open" in cli.stdout, cli.stdout

    # the report's OEE chart draws every committed day, the zero days at the bottom
    series = dict(report["content"]["series"]["oee"])
    assert series == {d.isoformat(): f"{v:.4f}" for d, v in expected.items()}
    portal = app.test_client()
    portal.post("/login", data={"email": metered["lender"].email, "password": "correct-horse-1"})
    html = portal.get(f"/credit/reports/{report['id']}").get_data(as_text=True)
    chart = re.search(r'<svg[^>]*aria-label="OEE trend".*?</svg>', html, re.S).group(0)
    path_d = re.search(r'<path d="([^"]+)"', chart).group(1)
    assert path_d.count("L") + 1 == len(expected)
    bottom = 200 - 36  # the chart's 0 % line
    assert f",{bottom:.1f}" in path_d  # a zero day is drawn on it
