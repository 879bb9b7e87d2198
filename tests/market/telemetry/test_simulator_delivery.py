"""The edge simulator delivers for real: over HTTP to a live server on a local port, and over
MQTT through the local Mosquitto to the subscriber; short, bounded runs (a few simulated
hours, as fast as possible)."""
from __future__ import annotations

import json
import threading
import time
import uuid

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from tests.market.telemetry.conftest import rollup


def _stored(app) -> int:
    from market.db import unit_of_work
    from market.telemetry.models import Reading

    with app.app_context(), unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(Reading))


def _per_machine(app) -> dict:
    from market.catalog.models import Machine
    from market.db import unit_of_work
    from market.telemetry.models import Reading

    with app.app_context(), unit_of_work() as s:
        return dict(s.execute(select(Machine.name, func.count()).join(Reading, Reading.machine_id == Machine.id)
                              .group_by(Machine.name)).all())


def _machine_days(app) -> int:
    from market.db import unit_of_work
    from market.telemetry.models import MachineDay

    with app.app_context(), unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(MachineDay))


def _simulate(app, plant, via: str, url: str) -> dict:
    from market.telemetry.cli import telemetry_group

    # shifts every day, so the run has work to play whatever the weekday
    every_day = {str(d): [["06:00", "22:00"]] for d in range(7)}
    assert plant["client"].put(f"/api/v1/factories/{plant['factory']['id']}/shift-calendar",
                               json={"weekly": every_day}).status_code == 200
    result = app.test_cli_runner().invoke(telemetry_group, [
        "simulate", "--factory", plant["factory"]["id"], "--hours", "30", "--via", via, "--url", url, "--batch", "200"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output.strip().splitlines()[-1])
    assert stats["machines"] == 2 and stats["readings"] > 50, stats
    return stats


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


def test_the_simulator_over_http_delivers_readings_that_get_stored(app, plant, live_server):
    assert _stored(app) == 0
    stats = _simulate(app, plant, "http", live_server)
    assert _stored(app) == stats["readings"]  # every reading sent was stored, once
    assert set(_per_machine(app)) == {"M1", "M2"}  # each machine's readings went to that machine
    rollup(app)
    assert _machine_days(app) >= 2


def test_the_simulator_over_mqtt_delivers_readings_that_get_stored(app, plant):
    from market.telemetry.mqtt import Subscriber

    prefix = f"test-{uuid.uuid4().hex[:10]}/"
    app.config["TELEMETRY_MQTT_TOPIC_PREFIX"] = prefix
    sub = Subscriber(app, url="mqtt://127.0.0.1:1883", prefix=prefix, sweep_s=3600)
    thread = threading.Thread(target=sub.run, daemon=True)
    thread.start()
    try:
        assert sub.subscribed.wait(10), "the subscriber did not subscribe"
        stats = _simulate(app, plant, "mqtt", "mqtt://127.0.0.1:1883")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _stored(app) < stats["readings"]:
            time.sleep(0.2)
    finally:
        sub.stop.set()
        thread.join(10)
    assert _stored(app) == stats["readings"] and sub.handled >= 2
    assert set(_per_machine(app)) == {"M1", "M2"}
    rollup(app)
    assert _machine_days(app) >= 2
