"""MQTT ingest against the real local Mosquitto, identical aggregates over HTTP and MQTT,
late data recomputing a closed day with a correcting ledger event, down-machine effects."""
from __future__ import annotations

import json
import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.market.telemetry.conftest import iso, recent_midnight_shanghai, recent_workday_midnight_shanghai, rollup


def _day_readings(midnight, shift_h=8):
    """A working day 08:00-20:00 local (midnight + 8 h UTC offset handled by caller)."""
    t = midnight + timedelta(hours=8)
    out = [{"ts": iso(t), "state": "setup", "reason": "changeover", "total": 1000, "good": 990}]
    total, good = 1000, 990
    t += timedelta(minutes=20)
    out.append({"ts": iso(t), "state": "running", "total": total, "good": good})
    for i in range(1, 60):
        t += timedelta(minutes=10)
        total, good = total + 9, good + 9 - (i % 7 == 0)
        r = {"ts": iso(t), "total": total, "good": good}
        if i == 20:
            r.update(state="down", reason="spindle_fault")
        if i == 26:
            r.update(state="running")
        if i == 40:
            total, good = 3, 3  # the counter was reset
            r.update(total=total, good=good)
        out.append(r)
    out.append({"ts": iso(t + timedelta(minutes=5)), "state": "offline", "reason": "off_shift"})
    return out


@pytest.fixture
def broker_prefix():
    return f"test-{uuid.uuid4().hex[:10]}/"


def _mqtt_client():
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex[:8]}", protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", 1883)
    client.loop_start()
    return client


def _subscriber(app, prefix):
    from market.telemetry.mqtt import Subscriber

    sub = Subscriber(app, url="mqtt://127.0.0.1:1883", prefix=prefix, sweep_s=3600)
    thread = threading.Thread(target=sub.run, daemon=True)
    thread.start()
    assert sub.subscribed.wait(10), "the subscriber did not subscribe"
    return sub, thread


def _publish_and_wait_ack(client, topic, payload, properties=None):
    acks, got = [], threading.Event()

    def on_message(c, u, msg):
        acks.append(json.loads(msg.payload))
        got.set()

    client.on_message = on_message
    subscribed = threading.Event()
    client.on_subscribe = lambda *a: subscribed.set()
    client.subscribe(topic + "/ack", qos=1)
    assert subscribed.wait(5)
    client.publish(topic, payload, qos=1, properties=properties).wait_for_publish(5)
    assert got.wait(20), "no acknowledgement from the subscriber"
    return acks[0]


def _machine_days(app, machine_public_id):
    from market.catalog.models import Machine
    from market.db import unit_of_work
    from market.telemetry.models import MachineDay

    with app.app_context(), unit_of_work() as s:
        machine = s.scalar(select(Machine).where(Machine.public_id == uuid.UUID(machine_public_id)))
        return [(d.day, d.planned_s, d.run_s, d.run_total_s, d.seconds, d.total, d.good)
                for d in s.scalars(select(MachineDay).where(MachineDay.machine_id == machine.id).order_by(MachineDay.day))]


def _intervals(client, machine_id, midnight):
    return client.get(f"/api/v1/machines/{machine_id}/states", query_string={
        "from": iso(midnight), "to": iso(midnight + timedelta(days=1)), "per_page": 100}).get_json()["items"]


def test_the_same_readings_over_http_and_over_mqtt_give_identical_aggregates(app, plant, broker_prefix):
    from market.telemetry.mqtt import topic_for

    midnight = recent_workday_midnight_shanghai(2)  # planned by the default Mon-Fri calendar
    readings = _day_readings(midnight)
    http = plant["devices"][0].post("/api/v1/telemetry", json={"readings": readings}).get_json()
    assert http["stored"] == len(readings) and http["rejected"] == []

    sub, thread = _subscriber(app, broker_prefix)
    client = _mqtt_client()
    try:
        topic = topic_for(broker_prefix, plant["factory"]["id"], plant["machines"][1]["id"])
        ack = _publish_and_wait_ack(client, topic, json.dumps({"token": plant["tokens"][1], "readings": readings}))
    finally:
        client.loop_stop()
        client.disconnect()
        sub.stop.set()
        thread.join(10)
    assert ack["status"] == 200 and ack["stored"] == len(readings), ack
    assert _machine_days(app, plant["machines"][0]["id"]) == []  # nothing recomputed in the request
    assert rollup(app)["marks"] >= 2
    via_http, via_mqtt = (_machine_days(app, m["id"]) for m in plant["machines"])
    assert via_http == via_mqtt and via_http and via_http[0][5] > 0
    c = plant["client"]
    assert _intervals(c, plant["machines"][0]["id"], midnight) == _intervals(c, plant["machines"][1]["id"], midnight)


def test_mqtt_refuses_a_token_for_another_machine_and_accepts_the_token_as_a_user_property(app, plant, broker_prefix):
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    from market.telemetry.mqtt import topic_for

    reading = {"ts": iso(recent_midnight_shanghai(1) + timedelta(hours=9)), "state": "running"}
    sub, thread = _subscriber(app, broker_prefix)
    client = _mqtt_client()
    try:
        wrong = topic_for(broker_prefix, plant["factory"]["id"], plant["machines"][1]["id"])
        refused = _publish_and_wait_ack(client, wrong, json.dumps({**reading, "token": plant["tokens"][0]}))
        props = Properties(PacketTypes.PUBLISH)
        props.UserProperty = ("token", plant["tokens"][0])
        right = topic_for(broker_prefix, plant["factory"]["id"], plant["machines"][0]["id"])
        accepted = _publish_and_wait_ack(client, right, json.dumps(reading), properties=props)
    finally:
        client.loop_stop()
        client.disconnect()
        sub.stop.set()
        thread.join(10)
    assert refused["status"] == 403 and "enrolled for machine" in refused["detail"]
    assert accepted["status"] == 200 and accepted["stored"] == 1
    assert _machine_days(app, plant["machines"][1]["id"]) == []


def test_late_data_recomputes_a_closed_day_and_appends_a_correcting_ledger_event(app, plant):
    from ledger import disclosure
    from market.db import unit_of_work
    from market.telemetry.models import FactoryDay
    from market.journal.ledger import get_ledger

    midnight = recent_workday_midnight_shanghai(3)  # planned by the default Mon-Fri calendar
    readings = _day_readings(midnight)
    device, client = plant["devices"][0], plant["client"]
    device.post("/api/v1/telemetry", json={"readings": readings[:30]})
    rollup(app)
    summaries = client.get(f"/api/v1/factories/{plant['factory']['id']}/daily-summaries").get_json()["items"]
    first = next(x for x in summaries if x["payload"]["day"] == midnight.date().isoformat()
                 or x["day"] == (midnight + timedelta(hours=8)).date().isoformat())
    # the edge box comes back online a day later with the rest of the day, out of order
    late = list(reversed(readings[30:]))
    assert device.post("/api/v1/telemetry", json={"readings": late}).get_json()["stored"] == len(late)
    rollup(app)
    again = {x["day"]: x for x in client.get(f"/api/v1/factories/{plant['factory']['id']}/daily-summaries").get_json()["items"]}
    second = again[first["day"]]
    assert second["ledger_index"] > first["ledger_index"] and second["corrections"] == 1
    assert second["payload"]["total"] > first["payload"]["total"]
    with app.app_context(), unit_of_work() as s:
        conn = s.connection()
        entry = json.loads(get_ledger().store.entry(conn, second["ledger_index"]))
        old = json.loads(get_ledger().store.entry(conn, first["ledger_index"]))
        row = s.scalar(select(FactoryDay).where(FactoryDay.ledger_index == second["ledger_index"]))
    event = entry["event"] if "event" in entry else entry
    assert event["type"] == "telemetry.daily_summary" and event["corrects"]["index"] == first["ledger_index"]
    assert disclosure.opens(event["data"]["commitment"], second["payload"], second["salt"])
    assert not disclosure.opens(event["data"]["commitment"], first["payload"], second["salt"])
    assert "total" not in json.dumps(event)  # the figures are not on the public ledger
    assert (old["event"] if "event" in old else old)["data"]["commitment"] != event["data"]["commitment"]
    assert row.corrections == 1


def test_a_machine_down_past_the_threshold_stops_selling_and_reopens_when_it_runs(app, plant):
    from datetime import datetime, timezone

    client, device = plant["client"], plant["devices"][0]
    machine_id = plant["machines"][0]["id"]
    start = (datetime.now(timezone.utc) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    window = client.post("/api/v1/capacity-windows", json={"machine_id": machine_id, "start": iso(start),
                         "end": iso(start + timedelta(hours=8)), "pricing_mode": "per_hour", "price": 100}).get_json()
    now = datetime.now(timezone.utc)
    device.post("/api/v1/telemetry", json={"readings": [
        {"ts": iso(now - timedelta(minutes=50)), "state": "down", "reason": "hydraulic_leak"},
        {"ts": iso(now - timedelta(minutes=1)), "total": 5, "good": 5}]})
    assert client.get(f"/api/v1/capacity-windows/{window['id']}").get_json()["status"] == "unavailable"
    device.post("/api/v1/telemetry", json={"readings": [{"ts": iso(datetime.now(timezone.utc)), "state": "running"}]})
    assert client.get(f"/api/v1/capacity-windows/{window['id']}").get_json()["status"] == "open"
