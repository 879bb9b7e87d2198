"""The rollup off the request path: triggered in the background after an ingest; on
PostgreSQL, parallel overlapping ingests store each reading once and, with rollups running
alongside, end with the aggregates of a serial run; parallel rollups consume each mark once."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import ON_POSTGRES
from tests.market.telemetry.conftest import iso, recent_midnight_shanghai, recent_workday_midnight_shanghai, rollup
from tests.market.telemetry.scenario import base_midnight, batches, snapshot
from tests.market.telemetry.test_rollup_equivalence import EVERY_DAY, _known

def postgres_only(test):
    return pytest.mark.postgres_only(pytest.mark.skipif(not ON_POSTGRES, reason="row locks: PostgreSQL only")(test))


def _machine_days(app) -> int:
    from market.db import unit_of_work
    from market.telemetry.models import MachineDay

    with app.app_context(), unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(MachineDay))


def _pending(app) -> int:
    from market.db import unit_of_work
    from market.telemetry import dirty

    with app.app_context(), unit_of_work() as s:
        return dirty.pending(s)


def test_without_a_worker_an_ingest_triggers_the_rollup_in_the_background(app, plant):
    from market.telemetry import trigger

    app.config.update(TELEMETRY_ROLLUP_AFTER_INGEST="auto", TELEMETRY_ROLLUP_DELAY_S=0.05, CELERY_BROKER_URL=None)
    t = recent_workday_midnight_shanghai(2) + timedelta(hours=9)  # inside the default Mon-Fri shifts
    readings = [{"ts": iso(t + timedelta(minutes=i)), "state": "running", "total": i, "good": i} for i in range(30)]
    body = plant["devices"][0].post("/api/v1/telemetry", json={"readings": readings}).get_json()
    assert body["stored"] == 30
    trigger.background(app).wait(30)
    assert _pending(app) == 0 and _machine_days(app) == 1
    oee = plant["client"].get(f"/api/v1/machines/{plant['machines'][0]['id']}/oee").get_json()
    assert sum(p["total"] for p in oee["periods"]) == 29


def test_with_the_rollup_off_the_marks_wait_for_the_cron_rollup(app, plant):
    t = recent_midnight_shanghai(2) + timedelta(hours=9)
    plant["devices"][0].post("/api/v1/telemetry", json={"readings": [{"ts": iso(t), "state": "running"}]})
    assert _pending(app) == 1 and _machine_days(app) == 0 and "telemetry_rollup" not in app.extensions
    from market.telemetry.cli import telemetry_group

    result = app.test_cli_runner().invoke(telemetry_group, ["rollup"])
    assert result.exit_code == 0, result.output
    assert _pending(app) == 0 and _machine_days(app) >= 1


def _prepare(plant):
    client = plant["client"]
    assert client.put(f"/api/v1/factories/{plant['factory']['id']}/shift-calendar",
                      json={"weekly": EVERY_DAY}).status_code == 200
    assert client.put(f"/api/v1/machines/{plant['machines'][0]['id']}/telemetry-profile",
                      json={"ideal_cycle_s": 40}).status_code == 200


@postgres_only
def test_parallel_overlapping_batches_store_each_reading_once_and_aggregate_like_a_serial_run(app, plant):
    from market.db import unit_of_work
    from market.telemetry.models import Reading

    _prepare(plant)
    work = batches(base_midnight()) * 2  # every batch twice, from different threads at once
    unique = {(m, r["ts"]) for m, readings in work for r in readings if r.get("state") != "exploded"}
    stored, errors, lock = [], [], threading.Lock()
    done = threading.Event()

    def send(part):
        client = app.test_client()
        for machine, readings in part:
            response = client.post("/api/v1/telemetry", json={"readings": readings},
                                   headers={"Authorization": f"Bearer {plant['tokens'][machine]}"})
            with lock:
                (stored if response.status_code == 200 else errors).append(
                    response.get_json()["stored"] if response.status_code == 200 else response.get_json())

    def roll():  # rollups racing the ingests
        while not done.is_set():
            try:
                rollup(app)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(repr(exc))
                return

    senders = [threading.Thread(target=send, args=(work[i::6],)) for i in range(6)]
    rollers = [threading.Thread(target=roll) for _ in range(2)]
    for t in senders + rollers:
        t.start()
    for t in senders:
        t.join(120)
    done.set()
    for t in rollers:
        t.join(120)
    assert errors == []
    assert sum(stored) == len(unique)  # each reading stored by exactly one request
    with app.app_context(), unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Reading)) == len(unique)
    rollup(app)
    got, known = snapshot(app, plant, base_midnight()), _known()
    for part in ("machine_days", "intervals", "factory_days"):
        assert got[part] == known[part], part


@postgres_only
def test_parallel_rollups_consume_each_dirty_day_exactly_once(app, plant):
    from market.catalog.models import Machine
    from market.db import unit_of_work, utcnow
    from market.telemetry import dirty
    from market.telemetry.models import MachineDay

    _prepare(plant)
    for machine, readings in batches(base_midnight()):
        plant["devices"][machine].post("/api/v1/telemetry", json={"readings": readings})
    rollup(app)
    before = snapshot(app, plant, base_midnight())
    with app.app_context(), unit_of_work() as s:
        days = list(s.execute(select(MachineDay.machine_id, Machine.factory_id, MachineDay.day)
                              .join(Machine, Machine.id == MachineDay.machine_id)).all())
        for machine_id, factory_id, day in days:
            dirty.mark(s, machine_id, factory_id, {day}, utcnow())
        s.commit()
    consumed, errors = [], []

    def drain():
        try:
            consumed.append(rollup(app)["marks"])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=drain) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == [] and _pending(app) == 0
    assert sum(consumed) == len(days) and len(days) == len(before["machine_days"])
    assert snapshot(app, plant, base_midnight()) == before
