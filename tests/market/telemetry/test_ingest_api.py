"""POST /api/v1/telemetry: per-reading validation, exactly-once storage, device scoping."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tests.market.telemetry.conftest import iso, recent_midnight_shanghai, rollup


def _count(app, machine_public_id):
    from market.catalog.models import Machine
    from market.db import unit_of_work
    from market.telemetry.models import Reading

    with app.app_context(), unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(Reading).join(Machine, Machine.id == Reading.machine_id)
                        .where(Machine.public_id == public_id_of(machine_public_id)))


def public_id_of(text):
    import uuid

    return uuid.UUID(text)


def _batch(start, n, step_s=10):
    out = []
    for i in range(n):
        r = {"ts": iso(start + timedelta(seconds=step_s * i)), "total": i, "good": i}
        if i % 100 == 0:
            r["state"] = "running"
        out.append(r)
    return out


def test_a_batch_with_one_bad_reading_of_1000_stores_999_and_reports_the_one(app, plant):
    readings = _batch(recent_midnight_shanghai(1), 1000)
    readings[417] = {"ts": readings[417]["ts"], "state": "exploded"}
    response = plant["devices"][0].post("/api/v1/telemetry", json={"readings": readings})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["accepted"], body["stored"], body["duplicates"]) == (999, 999, 0)
    assert body["rejected"] == [{"index": 417, "reason": "state: 'exploded' is not one of running, idle, setup, "
                                                         "down, planned_stop, offline"}]
    assert _count(app, plant["machines"][0]["id"]) == 999


def test_replaying_a_batch_stores_nothing_twice_and_changes_no_aggregate(app, plant):
    device, client = plant["devices"][0], plant["client"]
    readings = _batch(recent_midnight_shanghai(2), 500, step_s=60)
    first = device.post("/api/v1/telemetry", json={"readings": readings}).get_json()
    rollup(app)
    oee_before = client.get(f"/api/v1/machines/{plant['machines'][0]['id']}/oee").get_json()
    again = device.post("/api/v1/telemetry", json={"readings": readings}).get_json()
    assert rollup(app)["marks"] == 0  # a replay stores nothing, so it marks nothing
    assert (first["stored"], again["stored"], again["duplicates"], again["accepted"]) == (500, 0, 500, 500)
    assert client.get(f"/api/v1/machines/{plant['machines'][0]['id']}/oee").get_json() == oee_before
    assert _count(app, plant["machines"][0]["id"]) == 500


def test_a_device_token_cannot_write_to_another_machine(app, plant):
    other = plant["machines"][1]["id"]
    response = plant["devices"][0].post("/api/v1/telemetry", json={
        "machine_id": other, "readings": [{"ts": iso(recent_midnight_shanghai(1)), "state": "running"}]})
    assert response.status_code == 403
    assert response.get_json()["errors"] == {"machine_id": [response.get_json()["detail"]]}
    assert _count(app, other) == 0 and _count(app, plant["machines"][0]["id"]) == 0


def test_an_organization_api_token_is_not_a_device_token(plant):
    response = plant["client"].post("/api/v1/telemetry", json={"readings": [{"ts": "2030-01-01T00:00:00Z", "state": "idle"}]})
    assert response.status_code == 401


def test_a_revoked_device_is_refused_at_once(plant):
    client = plant["client"]
    device_id = next(d["id"] for d in client.get("/api/v1/devices").get_json()["items"]
                     if d["machine_id"] == plant["machines"][0]["id"])
    assert client.delete(f"/api/v1/devices/{device_id}").get_json()["revoked_at"]
    response = plant["devices"][0].post("/api/v1/telemetry", json={"readings": [
        {"ts": iso(recent_midnight_shanghai(1)), "state": "running"}]})
    assert response.status_code == 401


def test_each_kind_of_bad_reading_is_reported_with_its_reason(plant):
    t = recent_midnight_shanghai(1)
    readings = [
        {"ts": iso(t), "state": "running"},
        {"state": "running"},
        {"ts": "yesterday", "state": "running"},
        {"ts": "2026-01-01T08:00:00", "state": "running"},
        {"ts": iso(t + timedelta(seconds=1)), "total": 5},
        {"ts": iso(t + timedelta(seconds=2)), "total": 5, "good": 6},
        {"ts": iso(t + timedelta(seconds=3)), "total": 5, "good": 3, "reject": 1},
        {"ts": iso(t + timedelta(seconds=4)), "temperature": 9000},
        {"ts": iso(t + timedelta(seconds=5)), "colour": "red", "state": "idle"},
        {"ts": iso(t + timedelta(seconds=6))},
        {"ts": iso(t), "state": "idle"},
        {"ts": iso(t + timedelta(days=3)), "state": "idle"},
        "not an object",
        {"ts": iso(t + timedelta(seconds=7)), "total": 5, "reject": 2},
    ]
    body = plant["devices"][0].post("/api/v1/telemetry", json={"readings": readings}).get_json()
    reasons = {r["index"]: r["reason"] for r in body["rejected"]}
    assert sorted(reasons) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    assert "no UTC offset" in reasons[3] and "in the future" in reasons[11] and "repeats" in reasons[10]
    assert "outside" in reasons[7] and "colour" in reasons[8] and "must equal total" in reasons[6]
    assert body["accepted"] == 2


def test_a_batch_over_10000_readings_is_refused_whole(plant):
    readings = [{"ts": "2030-01-01T00:00:00Z", "state": "idle"}] * 10001
    assert plant["devices"][0].post("/api/v1/telemetry", json={"readings": readings}).status_code == 413


def test_the_ingest_rate_is_counted_in_metrics_once_per_new_reading(client, plant):
    from tests.market.test_ops_metrics import _value

    def counted():
        return _value(client.get("/metrics").get_data(as_text=True), "market_telemetry_readings_total",
                      source="http") or 0

    before = counted()
    readings = _batch(recent_midnight_shanghai(1), 50)
    assert plant["devices"][0].post("/api/v1/telemetry", json={"readings": readings}).status_code == 200
    assert counted() - before == 50
    plant["devices"][0].post("/api/v1/telemetry", json={"readings": readings})  # a replay stores nothing
    assert counted() - before == 50


def test_retiring_a_machine_revokes_its_devices_and_stops_its_ingest(app, plant):
    from market.db import unit_of_work
    from market.telemetry.models import Device

    device, client, machine = plant["devices"][0], plant["client"], plant["machines"][0]
    readings = _batch(recent_midnight_shanghai(2), 3)
    assert device.post("/api/v1/telemetry", json={"readings": readings[:1]}).status_code == 200
    assert client.patch(f"/api/v1/machines/{machine['id']}", json={"status": "retired"}).status_code == 200
    refused = device.post("/api/v1/telemetry", json={"readings": readings[1:2]})
    assert refused.status_code in (401, 403, 410) and refused.mimetype == "application/problem+json"
    revoked = {d["machine_id"]: d["revoked_at"] for d in client.get("/api/v1/devices").get_json()["items"]}
    assert revoked[machine["id"]] and revoked[plant["machines"][1]["id"]] is None
    # a device row that escaped revocation (enrolled before this rule) is still refused
    with app.app_context(), unit_of_work() as s:
        for row in s.scalars(select(Device)):
            row.revoked_at = None
        s.commit()
    still = device.post("/api/v1/telemetry", json={"readings": readings[2:]})
    assert still.status_code in (403, 410) and still.mimetype == "application/problem+json"
    assert "retired" in still.get_json()["detail"]
    assert _count(app, machine["id"]) == 1
    assert plant["devices"][1].post("/api/v1/telemetry", json={"readings": readings[1:]}).status_code == 200  # M2 lives
