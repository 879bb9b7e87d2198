"""Effects and settings: a down machine's booked job moves to another machine, retention
purges only old raw readings, device clock skew, shift calendar and ideal-cycle endpoints."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from tests.market.telemetry.conftest import iso, recent_midnight_shanghai, rollup


def test_a_machine_reported_down_has_its_booked_job_moved_to_another_machine(app, api, twin_mills):
    shop, mills, buyer, order, booked = (twin_mills.shop, twin_mills.mills, twin_mills.buyer, twin_mills.order,
                                         twin_mills.booked)
    assert len(booked()["Mill 1"]) == 1 and booked()["Mill 2"] == []
    token = shop.post(f"/api/v1/machines/{mills[0]['id']}/devices", json={"name": "gw"}).get_json()["token"]
    now = datetime.now(timezone.utc)
    response = api(token).post("/api/v1/telemetry", json={"readings": [
        {"ts": iso(now - timedelta(minutes=45)), "state": "down", "reason": "spindle_crash"},
        {"ts": iso(now - timedelta(minutes=1)), "total": 0, "good": 0}]})
    assert response.status_code == 200 and response.get_json()["stored"] == 2
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not booked()["Mill 2"]:
        time.sleep(0.2)
    moved = booked()
    assert moved["Mill 1"] == [] and len(moved["Mill 2"]) == 1 and moved["Mill 2"][0]["order_title"] == "Bracket"
    history = buyer.get(f"/api/v1/orders/{order['id']}").get_json()["history"]
    assert "re-planned after a machine breakdown" in history[-1]["note"]
    from market.db import unit_of_work
    from market.telemetry.models import Alert

    with app.app_context(), unit_of_work() as s:
        alert = s.scalar(select(Alert))
        assert alert.kind == "down" and alert.reason == "spindle_crash" and alert.job_id is not None


def _readings(machine_public_id: str):
    from market.catalog.models import Machine
    from market.telemetry.models import Reading

    return select(func.count()).select_from(Reading).join(Machine, Machine.id == Reading.machine_id).where(
        Machine.public_id == uuid.UUID(machine_public_id))


def test_the_retention_purge_deletes_only_raw_readings_past_the_period_and_keeps_aggregates(app, plant):
    from market.db import unit_of_work
    from market.telemetry.cli import telemetry_group
    from market.telemetry.models import FactoryDay, MachineDay, Reading, StateInterval

    device, client, machine = plant["devices"][0], plant["client"], plant["machines"][0]["id"]
    old, recent = recent_midnight_shanghai(12), recent_midnight_shanghai(2)
    every_day = {str(d): [["08:00", "20:00"]] for d in range(7)}  # figures independent of the weekday
    client.put(f"/api/v1/factories/{plant['factory']['id']}/shift-calendar", json={"weekly": every_day})
    for midnight in (old, recent):
        t = midnight + timedelta(hours=9)
        readings = [{"ts": iso(t + timedelta(minutes=10 * i)), "total": 9 * i, "good": 9 * i} for i in range(20)]
        readings[0]["state"] = "running"
        assert device.post("/api/v1/telemetry", json={"readings": readings}).get_json()["stored"] == 20
    rollup(app)
    oee_before = client.get(f"/api/v1/machines/{machine}/oee", query_string={
        "from": (old + timedelta(hours=8)).date().isoformat(), "to": (recent + timedelta(hours=8)).date().isoformat()}
    ).get_json()

    def counts():
        with app.app_context(), unit_of_work() as s:
            return {model.__name__: s.scalar(select(func.count()).select_from(model))
                    for model in (Reading, MachineDay, StateInterval, FactoryDay)}

    before = counts()
    app.config["TELEMETRY_RETENTION_DAYS"] = 7
    result = app.test_cli_runner().invoke(telemetry_group, ["purge"])
    assert result.exit_code == 0 and result.output.startswith("20 reading(s) deleted"), result.output
    after = counts()
    assert after == {**before, "Reading": 20}
    with app.app_context(), unit_of_work() as s:
        oldest = s.scalar(select(func.min(Reading.ts)))
    assert oldest >= recent  # what is left is the recent day
    assert client.get(f"/api/v1/machines/{machine}/oee", query_string={
        "from": (old + timedelta(hours=8)).date().isoformat(), "to": (recent + timedelta(hours=8)).date().isoformat()}
    ).get_json() == oee_before
    assert sum(p["total"] for p in oee_before["periods"]) == 2 * 171
    # and readings that old are now refused at the door
    late = device.post("/api/v1/telemetry", json={"readings": [{"ts": iso(old + timedelta(hours=10)), "state": "idle"}]})
    assert "older than the retention period" in late.get_json()["rejected"][0]["reason"]


@pytest.mark.parametrize("ahead_s, accepted", [(0, True), (240, True), (299, True), (330, False), (3600, False)])
def test_a_device_clock_slightly_ahead_is_accepted_and_far_ahead_is_refused(plant, ahead_s, accepted):
    ts = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=ahead_s)
    body = plant["devices"][0].post("/api/v1/telemetry", json={"readings": [{"ts": iso(ts), "state": "idle"}]}).get_json()
    assert (body["stored"], len(body["rejected"])) == ((1, 0) if accepted else (0, 1)), body
    if not accepted:
        assert body["rejected"][0]["index"] == 0 and "in the future" in body["rejected"][0]["reason"]
        assert "check the device clock" in body["rejected"][0]["reason"]


def test_the_allowed_skew_is_configurable(app, plant):
    app.config["TELEMETRY_MAX_SKEW_S"] = 30
    ts = datetime.now(timezone.utc) + timedelta(seconds=120)
    body = plant["devices"][0].post("/api/v1/telemetry", json={"readings": [{"ts": iso(ts), "state": "idle"}]}).get_json()
    assert body["stored"] == 0 and "in the future" in body["rejected"][0]["reason"]


def test_the_shift_calendar_defaults_then_takes_valid_shifts(plant):
    client, factory = plant["client"], plant["factory"]["id"]
    url = f"/api/v1/factories/{factory}/shift-calendar"
    default = client.get(url).get_json()
    assert default["is_default"] is True and default["weekly"]["0"] == [["08:00", "20:00"]] and "5" not in default["weekly"]
    weekly = {"0": [["06:00", "14:00"], ["22:00", "06:00"]], "5": [["08:00", "24:00"]], "6": []}
    response = client.put(url, json={"weekly": weekly})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["is_default"] is False and body["timezone"] == "Asia/Shanghai"
    assert body["weekly"] == {"0": [["06:00", "14:00"], ["22:00", "06:00"]], "5": [["08:00", "24:00"]]}
    assert client.get(url).get_json() == body


@pytest.mark.parametrize("weekly, field, words", [
    ({"7": [["08:00", "16:00"]]}, "weekly.7", "0 (Monday) .. 6"),
    ({"0": [["08:00", "25:00"]]}, "weekly.0", "is not a time of day"),
    ({"0": [["8:00", "16:00"]]}, "weekly.0", "is not a time of day"),
    ({"1": [["10:00", "10:00"]]}, "weekly.1", "must not end when it starts"),
    ({"2": [["24:00", "06:00"]]}, "weekly.2", "cannot start at 24:00"),
    ({"3": [["08:00"]]}, "weekly.3", "Each shift is"),
    ({"4": "08:00-16:00"}, "weekly.4", "At most 6"),
    ({"0": [["00:00", "01:00"]] * 7}, "weekly.0", "At most 6"),
])
def test_a_bad_shift_calendar_is_refused_naming_the_weekday(plant, weekly, field, words):
    url = f"/api/v1/factories/{plant['factory']['id']}/shift-calendar"
    response = plant["client"].put(url, json={"weekly": weekly})
    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["errors"]
    assert list(errors) == [field] and words in errors[field][0], errors
    assert plant["client"].get(url).get_json()["is_default"] is True  # nothing was stored


def test_a_shift_calendar_must_be_a_mapping_and_nothing_else(plant):
    url = f"/api/v1/factories/{plant['factory']['id']}/shift-calendar"
    missing = plant["client"].put(url, json={})
    assert missing.status_code == 422 and "weekly" in missing.get_json()["errors"]
    extra = plant["client"].put(url, json={"weekly": {}, "zone": "UTC"})
    assert extra.status_code == 422 and "zone" in extra.get_json()["errors"]
    listed = plant["client"].put(url, json={"weekly": [["08:00", "16:00"]]})
    assert listed.status_code == 422 and "weekly" in listed.get_json()["errors"]


def test_another_tenants_factory_calendar_is_not_found_and_a_buyer_cannot_set_one(plant, api, tenant):
    url = f"/api/v1/factories/{plant['factory']['id']}/shift-calendar"
    other = api(tenant("factory"))
    assert other.get(url).status_code == 404
    assert other.put(url, json={"weekly": {}}).status_code == 404
    assert plant["client"].get(url).get_json()["is_default"] is True


def test_the_ideal_cycle_is_set_read_and_cleared(plant):
    url = f"/api/v1/machines/{plant['machines'][0]['id']}/telemetry-profile"
    client = plant["client"]
    assert client.get(url).get_json()["ideal_cycle_s"] is None
    response = client.put(url, json={"ideal_cycle_s": 42.5})
    assert response.status_code == 200 and response.get_json()["ideal_cycle_s"] == 42.5
    assert client.get(url).get_json()["ideal_cycle_s"] == 42.5
    assert client.put(url, json={"ideal_cycle_s": None}).get_json()["ideal_cycle_s"] is None


@pytest.mark.parametrize("body", [{"ideal_cycle_s": 0}, {"ideal_cycle_s": -3}, {"ideal_cycle_s": 86401},
                                  {"ideal_cycle_s": "fast"}, {}, {"ideal_cycle_s": 40, "unit": "s"}])
def test_a_bad_ideal_cycle_is_refused_field_by_field(plant, body):
    url = f"/api/v1/machines/{plant['machines'][0]['id']}/telemetry-profile"
    response = plant["client"].put(url, json=body)
    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["errors"]
    assert set(errors) == ({"unit"} if "unit" in body else {"ideal_cycle_s"}), errors
    assert plant["client"].get(url).get_json()["ideal_cycle_s"] is None


def test_another_tenants_machine_profile_is_not_found(plant, api, tenant):
    url = f"/api/v1/machines/{plant['machines'][0]['id']}/telemetry-profile"
    other = api(tenant("factory"))
    assert other.get(url).status_code == 404 and other.put(url, json={"ideal_cycle_s": 5}).status_code == 404


def test_the_replan_after_a_breakdown_survives_a_crash_after_the_ingest_committed(app, api, twin_mills):
    """The ingest commits the down alert with an outbox row for matching's re-plan; the process
    dies before running it: the periodic sweep runs it, and running it again asks for no second one."""
    from market import bus
    from market.db import unit_of_work
    from market.matching.handlers import replan_after_breakdown
    from market.matching.models import SolveJob
    from market.telemetry.models import Alert

    def state():
        with app.app_context(), unit_of_work() as s:
            return s.scalar(select(Alert.job_id)), s.scalar(select(func.count()).select_from(SolveJob)
                                                            .where(SolveJob.kind == "reschedule"))

    app.config["EVENTS_INLINE"] = False  # as if the process died right after the commit
    shop, mills = twin_mills.shop, twin_mills.mills
    token = shop.post(f"/api/v1/machines/{mills[0]['id']}/devices", json={"name": "gw"}).get_json()["token"]
    now = datetime.now(timezone.utc)
    assert api(token).post("/api/v1/telemetry", json={"readings": [
        {"ts": iso(now - timedelta(minutes=45)), "state": "down", "reason": "spindle_crash"},
        {"ts": iso(now - timedelta(minutes=1)), "total": 0, "good": 0}]}).status_code == 200
    assert state() == (None, 0)
    with app.app_context():
        # matching's re-plan and notifications' machine.down, both left behind by the "crash"
        assert bus.deliver_due() == {"done": 2}
    job_id, replans = state()
    assert job_id is not None and replans == 1
    with app.app_context(), unit_of_work() as s:
        [row] = s.scalars(select(bus.OutboxMessage)
                          .where(bus.OutboxMessage.handler.startswith("market.matching."))).all()
        event = bus.get_bus().events[row.event_type](**row.payload)
    with app.app_context():
        replan_after_breakdown(event)  # delivered again (a crash before the row was marked done)
    assert state() == (job_id, 1)
