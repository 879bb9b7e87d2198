"""Periodic work: the beat schedule holds exactly the tasks that exist, beat hands them to a
real Celery worker on Redis, each task is safe to repeat, and without a broker one
in-process scheduler (of however many web workers) runs them."""
import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import redis
from sqlalchemy import select

from tests.conftest import order_body, redis_url
from tests.market.conftest import WORKER, celery, stop
from tests.ports import free_port

BROKER_DB = 13  # test_celery_jobs uses 15


def _run(app, name):
    from market.ops import periodic

    with app.app_context():
        return periodic.run(name)


def _checkpoints_and_anchors(app):
    from market.db import unit_of_work
    from market.journal.ledger import get_ledger

    with app.app_context(), unit_of_work() as s:
        store = get_ledger().store
        return store.checkpoints(s.connection()), store.anchors(s.connection())


def test_beat_schedules_exactly_the_periodic_tasks_that_exist(app):
    from market.jobs import celery_for
    from market.ops import beat, periodic

    app.config["CHECKPOINT_EVERY_S"] = 120
    celery = celery_for(app)
    beat.configure(celery, app)
    schedule = celery.conf.beat_schedule
    assert set(schedule) == set(periodic.TASKS)  # every task scheduled, nothing scheduled that is not a task
    assert {"batch_match", "ledger_checkpoint", "expire_quotes", "sweep_jobs", "telemetry_rollup", "telemetry_purge",
            "payments_retry", "payout_release"} <= set(schedule)
    for name, entry in schedule.items():
        assert entry["task"] in celery.tasks, f"{name} is scheduled but no such task is registered"
    assert schedule["ledger_checkpoint"]["schedule"] == 120
    assert schedule["batch_match"]["schedule"] == 3600 and schedule["expire_quotes"]["schedule"] == 300


@pytest.mark.parametrize("name", ["batch_match", "ledger_checkpoint", "expire_quotes", "sweep_jobs",
                                  "telemetry_rollup", "telemetry_purge", "payments_retry", "payout_release",
                                  "send_notifications", "reminders", "send_digests", "lease_rent",
                                  "insurance_premiums"])
def test_every_periodic_task_runs_on_a_quiet_marketplace(app, tenant, name):
    tenant("operator")
    assert isinstance(_run(app, name), dict)


def test_a_task_set_to_zero_seconds_is_not_scheduled(app):
    from market.ops import beat

    app.config["BATCH_MATCH_EVERY_S"] = 0
    assert "batch_match" not in beat.schedule(app.config)


def test_the_periodic_checkpoint_signs_only_when_the_ledger_grew_and_anchors_it(app, api, tenant):
    buyer = api(tenant("buyer"))
    buyer.post("/api/v1/orders", json=order_body())
    first = _run(app, "ledger_checkpoint")
    assert first["signed"] is not None and first["anchored"]["checkpoint"] == first["signed"]
    assert _run(app, "ledger_checkpoint") == {"signed": None, "anchored": None, "pending": 0}
    buyer.post("/api/v1/orders", json=order_body())
    third = _run(app, "ledger_checkpoint")
    assert third["signed"] == first["signed"] + 1 and third["anchored"]
    checkpoints, anchors = _checkpoints_and_anchors(app)
    assert len(checkpoints) == 2 and [a.status for a in anchors] == ["confirmed", "confirmed"]


def test_periodic_batch_match_quotes_open_orders_once_at_a_time(app, api, tenant, two_sites):
    from market.db import unit_of_work
    from market.orders.models import Quote
    from market.matching.models import SolveJob

    tenant("operator")
    buyer = api(tenant("buyer"))
    order = buyer.post("/api/v1/orders", json=order_body()).get_json()
    result = _run(app, "batch_match")
    assert "job" in result
    with app.app_context(), unit_of_work() as s:
        job = s.scalar(select(SolveJob).where(SolveJob.kind == "batch"))
        assert job.status == "done" and job.result["filled"] == 1
        assert s.scalar(select(Quote).where(Quote.job_id == job.id, Quote.label == "batch")) is not None
        s.add(SolveJob(kind="batch", organization_id=job.organization_id))  # another one under way
        s.commit()
    buyer.post("/api/v1/orders", json=order_body())
    assert _run(app, "batch_match") == {"skipped": "a batch match is already under way"}
    assert buyer.get(f"/api/v1/orders/{order['id']}").get_json()["state"] == "quoted"


def test_periodic_batch_match_without_open_orders_records_nothing(app, tenant):
    tenant("operator")
    assert _run(app, "batch_match") == {"skipped": "no open orders"}


def test_periodic_failures_are_counted_and_raised(app, monkeypatch):
    from market.metrics import PERIODIC_RUNS
    from market.ops import periodic

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setitem(periodic.TASKS, "expire_quotes", periodic.TASKS["expire_quotes"].__class__(
        "expire_quotes", broken, "QUOTE_EXPIRY_EVERY_S"))
    before = PERIODIC_RUNS.labels("expire_quotes", "failed")._value.get()
    with pytest.raises(RuntimeError):
        _run(app, "expire_quotes")
    assert PERIODIC_RUNS.labels("expire_quotes", "failed")._value.get() == before + 1


# -- the in-process scheduler -----------------------------------------------------------------

def test_of_two_in_process_schedulers_only_one_runs_tasks_and_the_other_takes_over(app):
    from market.ops.scheduler import Scheduler

    from market.ops import periodic

    app.config.update({t.every_key: 0 for t in periodic.TASKS.values()})
    app.config["QUOTE_EXPIRY_EVERY_S"] = 0.2
    a, b = Scheduler(app, tick_s=0.05), Scheduler(app, tick_s=0.05)
    a.start()
    time.sleep(0.3)
    b.start()
    try:
        time.sleep(1.5)
        assert a.is_leader and not b.is_leader
        assert a.runs.get("expire_quotes", 0) >= 3 and b.runs == {}
        a.stop()
        time.sleep(1.5)
        assert b.is_leader and b.runs.get("expire_quotes", 0) >= 3
    finally:
        a.stop()
        b.stop()


def test_no_in_process_scheduler_when_beat_has_the_job(app):
    from market.ops import scheduler

    app.config["CELERY_BROKER_URL"] = redis_url(BROKER_DB)
    assert scheduler.start(app) is None
    app.config["CELERY_BROKER_URL"] = None
    app.config["IN_PROCESS_SCHEDULER"] = False
    assert scheduler.start(app) is None


def _only_checkpoints_every_second() -> dict:
    from market.ops import periodic

    return {**{t.every_key: "0" for t in periodic.TASKS.values()}, "CHECKPOINT_EVERY_S": "1"}


# -- beat + worker on Redis -------------------------------------------------------------------

@pytest.fixture
def beat_and_worker(app, broker_url, tmp_path):
    env = _only_checkpoints_every_second()
    worker = celery(app, broker_url, tmp_path, *WORKER, env=env, output=subprocess.DEVNULL)
    beat = celery(app, broker_url, tmp_path, "beat", "-l", "WARNING", env=env, output=subprocess.DEVNULL)
    yield worker, beat
    stop(beat, worker)


def test_beat_sends_the_checkpoint_to_a_celery_worker_that_signs_and_anchors_it(app, api, tenant, beat_and_worker):
    buyer = api(tenant("buyer"))
    buyer.post("/api/v1/orders", json=order_body())
    deadline = time.monotonic() + 90
    checkpoints, anchors = [], []
    while time.monotonic() < deadline and not any(a.status == "confirmed" for a in anchors):
        time.sleep(0.5)
        checkpoints, anchors = _checkpoints_and_anchors(app)
    assert checkpoints and any(a.status == "confirmed" for a in anchors), "beat + worker signed and anchored nothing"
    worker, beat = beat_and_worker
    assert worker.poll() is None and beat.poll() is None
    assert app.extensions.get("scheduler") is None  # this (web) process ran nothing


def test_under_gunicorn_without_a_broker_the_web_workers_run_the_periodic_checkpoint(app, api, tenant, tmp_path):
    import requests

    buyer = tenant("buyer")
    api(buyer).post("/api/v1/orders", json=order_body())
    port = free_port()
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "MARKET_VAR_DIR": str(tmp_path),
           "WEB_CONCURRENCY": "2", "BIND": f"127.0.0.1:{port}", "LOG_LEVEL": "WARNING", **_only_checkpoints_every_second()}
    env.pop("CELERY_BROKER_URL", None)
    env.pop("IN_PROCESS_SCHEDULER", None)
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "python:market.gunicorn_conf",
                               "market:create_app()"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180  # gunicorn and the in-process EVM start slowly on a loaded 2-core box
        anchors = []
        while time.monotonic() < deadline and not anchors:
            time.sleep(0.5)
            _checkpoints, anchors = _checkpoints_and_anchors(app)
        assert anchors and anchors[0].status == "confirmed", "no scheduler ran in the gunicorn workers"
        requests.post(f"http://127.0.0.1:{port}/api/v1/orders", json=order_body(),
                      headers={"Authorization": f"Bearer {buyer.token}"}, timeout=10)
        time.sleep(3)
        checkpoints, anchors = _checkpoints_and_anchors(app)
        # one leader: one checkpoint per growth of the ledger, never two racing for the same size
        assert len(checkpoints) == 2 and len({c.tree_size for c in checkpoints}) == 2
    finally:
        server.terminate()
        server.wait(20)
