"""A lender's alerts: a consented factory's grade falls between two reports, its recent OEE
collapses against its own baseline, a machine is down for days — on the lender dashboard,
each look in the factory's access log once a day."""
from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from market.credit.alerts import grade_dropped, oee_collapsed
from tests.market.telemetry.conftest import iso, plant  # noqa: F401 (fixture)


def test_a_grade_drop_is_one_grade_or_more_down_the_scale():
    assert grade_dropped("AA", "A") and grade_dropped("AAA", "BB")
    assert not grade_dropped("A", "A") and not grade_dropped("BBB", "A")


def test_oee_collapses_when_the_last_week_falls_below_half_the_baseline():
    today = date(2026, 3, 31)
    base = [(today - timedelta(days=k), 0.7) for k in range(8, 60)]
    assert oee_collapsed(base + [(today - timedelta(days=k), 0.3) for k in range(1, 8)], today) == (0.3, 0.7)
    assert oee_collapsed(base + [(today - timedelta(days=k), 0.4) for k in range(1, 8)], today) is None
    # too few planned days recently to say (a holiday week): no alert
    assert oee_collapsed(base + [(today - timedelta(days=1), 0.0), (today - timedelta(days=2), None)], today) is None


def test_a_lender_sees_the_grade_fall_the_oee_collapse_and_machines_down_for_days(app, plant, tenant, api):  # noqa: F811
    from market.catalog.models import Machine
    from market.db import unit_of_work
    from market.telemetry import services as telemetry
    from market.telemetry.simulation import ensure_profiles, load_history

    owner, fid = plant["client"], plant["factory"]["id"]
    assert owner.put(f"/api/v1/factories/{fid}/shift-calendar",
                     json={"weekly": {str(d): [["08:00", "20:00"]] for d in range(7)}}).status_code == 200
    now = datetime.now(timezone.utc)
    with app.app_context():
        with unit_of_work() as s:
            ids = list(s.scalars(select(Machine.id).where(Machine.public_id.in_(
                [uuid.UUID(m["id"]) for m in plant["machines"]]))))
        ensure_profiles(ids)
        load_history(ids, days=60, end=now - timedelta(days=6))  # two healthy months from the simulator
    lender = tenant("lender", "Watchful Bank")
    bank = api(lender)
    assert owner.post("/api/v1/credit/consents", json={"factory_id": fid, "lender_id": str(lender.actor.org_public_id),
                                                       "purpose": "monitoring", "days": 90}).status_code == 201
    before = bank.post("/api/v1/credit/reports", json={"factory_id": fid}).get_json()

    # then both machines break down and stay down: the gateways report it every 20 minutes
    for device in plant["devices"]:
        t, batch = now - timedelta(days=6), []
        while t < now - timedelta(minutes=1):
            batch.append({"ts": iso(t), "state": "down", "reason": "spindle_fault"} if not batch else {"ts": iso(t), "power_kw": 0.4})
            t += timedelta(minutes=20)
        assert device.post("/api/v1/telemetry", json={"readings": batch}).get_json()["stored"] == len(batch)
    with app.app_context():
        telemetry.rollup_all()
    after = bank.post("/api/v1/credit/reports", json={"factory_id": fid}).get_json()
    assert after["score"] <= before["score"] - 20, (before["score"], after["score"])  # 20 points double the odds
    assert grade_dropped(before["grade"], after["grade"]), (before["grade"], after["grade"])

    portal = app.test_client()
    portal.post("/login", data={"email": lender.email, "password": "correct-horse-1"})
    # machine data but no deliveries: graded, but no better than the cap, and the report says why
    assert after["content"]["rating"]["status"] == "capped" and after["content"]["rating"]["cap"] == "BBB"
    page = portal.get(f"/credit/reports/{after['id']}").get_data(as_text=True)
    assert "Thin evidence: the grade can be no better than BBB." in page
    assert "Fewer than 3 delivered orders in the last 180 days (0)" in page
    html = portal.get("/credit").get_data(as_text=True)
    alerts = html.split('id="alerts"')[1].split("</div>")[0]
    assert f"grade fell from {before['grade']} to {after['grade']}" in alerts
    recent, baseline = map(int, re.search(r"OEE collapsed: (\d+)% over the last 7 days against (\d+)% before", alerts).groups())
    assert recent < baseline / 2 and baseline > 60  # the week holds a healthy day and a half before the breakdown
    assert alerts.count("alert-machine_down") == 2 and "machine M1 has been down for 144 hours" in alerts
    portal.get("/credit")
    log = owner.get("/api/v1/credit/access-log").get_json()["items"]
    assert [e["action"] for e in log].count("monitored") == 1  # looked twice, logged once a day
    assert all(e["ledger_index"] is not None for e in log)

    # a factory without a live consent raises no alert for this lender
    consent = owner.get("/api/v1/credit/consents").get_json()["items"][0]
    assert owner.post(f"/api/v1/credit/consents/{consent['id']}/revoke").status_code == 200
    alerts = portal.get("/credit").get_data(as_text=True).split('id="alerts"')[1].split("</div>")[0]
    assert "alert-" not in alerts
