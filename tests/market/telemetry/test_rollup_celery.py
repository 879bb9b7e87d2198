"""With a broker configured, the rollup after an ingest runs in a real Celery worker (the web
process computes nothing); with the broker down it still runs, in-process."""
from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, select

from tests.market.telemetry.conftest import iso, recent_midnight_shanghai

BROKER_DB = 14  # test_celery_jobs uses 15


def _machine_days(app) -> int:
    from market.db import unit_of_work
    from market.telemetry.models import MachineDay

    with app.app_context(), unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(MachineDay))


def _post_day(plant):
    t = recent_midnight_shanghai(2) + timedelta(hours=9)
    readings = [{"ts": iso(t + timedelta(minutes=i)), "state": "running", "total": i, "good": i} for i in range(20)]
    assert plant["devices"][0].post("/api/v1/telemetry", json={"readings": readings}).get_json()["stored"] == 20


def _wait_for_rollup(app, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _machine_days(app) == 0:
        time.sleep(0.2)
    return _machine_days(app)


def test_the_rollup_after_an_ingest_runs_in_the_celery_worker(app, plant, broker_url, worker):
    app.config.update(CELERY_BROKER_URL=broker_url, TELEMETRY_ROLLUP_AFTER_INGEST="auto", TELEMETRY_ROLLUP_DELAY_S=0.2)
    _post_day(plant)
    assert _wait_for_rollup(app, timeout=90) == 1
    assert app.extensions.get("telemetry_rollup") is None  # nothing ran in the web process
    assert worker.poll() is None


def test_with_the_broker_down_the_rollup_runs_in_process(app, plant):
    from market.telemetry import trigger

    app.config.update(CELERY_BROKER_URL="redis://127.0.0.1:6399/0", TELEMETRY_ROLLUP_AFTER_INGEST="auto",
                      TELEMETRY_ROLLUP_DELAY_S=0.05)  # nothing listens on 6399
    started = time.monotonic()
    _post_day(plant)
    assert time.monotonic() - started < 10
    trigger.background(app).wait(30)
    assert _machine_days(app) == 1
