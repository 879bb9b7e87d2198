"""Idempotency-Key under failure: the key's record commits with the request's effect (never
one without the other), and a claim left by a request that died lapses after its lease, so
a retry either replays the committed response or does the work once."""
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from tests.conftest import order_body

# A worker process that posts an order and is stopped dead (SIGKILL) once the order service
# has returned, before the request finished: no cleanup, no `finally`, as with kill -9.
CHILD = r"""
import json, os, time
from market import create_app
from market.orders import services

real = services.create_order

def create_then_die(*args, **kwargs):
    out = real(*args, **kwargs)
    open(os.environ["SIGNAL_FILE"], "w").write("committed?")
    time.sleep(120)
    return out

services.create_order = create_then_die
app = create_app({"TESTING": True, "DATABASE_URL": os.environ["DATABASE_URL"], "SECRET_KEY": "test-secret",
                  "LOG_LEVEL": "WARNING", "VAR_DIR": os.environ["VAR_DIR"], "TELEMETRY_ROLLUP_AFTER_INGEST": "off",
                  "IDEMPOTENCY_LEASE_S": 0.5})
app.test_client().post("/api/v1/orders", json=json.loads(os.environ["BODY"]),
                       headers={"Authorization": "Bearer " + os.environ["TOKEN"], "Idempotency-Key": "k-kill"})
"""


def _orders(app) -> int:
    from market.db import unit_of_work
    from market.orders.models import Order

    with app.app_context(), unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(Order))


def _post_and_kill(app, who, body, tmp_path) -> None:
    import json

    flag = tmp_path / "reached"
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "VAR_DIR": str(tmp_path), "BODY": json.dumps(body),
           "TOKEN": who.token, "SIGNAL_FILE": str(flag)}
    child = subprocess.Popen([sys.executable, "-c", CHILD], env=env)
    try:
        deadline = time.monotonic() + 60
        while not flag.exists():
            assert child.poll() is None and time.monotonic() < deadline, "the child never reached the service"
            time.sleep(0.05)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)


def test_a_request_killed_mid_flight_neither_sticks_its_key_nor_duplicates_the_order(app, api, tenant, tmp_path):
    who = tenant("buyer")
    buyer, body = api(who), order_body()
    app.config["IDEMPOTENCY_LEASE_S"] = 0.5
    _post_and_kill(app, who, body, tmp_path)
    time.sleep(0.6)  # the dead request's lease lapses

    retried = buyer.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "k-kill"})
    assert retried.status_code == 201, retried.get_data(as_text=True)
    again = buyer.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "k-kill"})
    assert again.status_code == 201 and again.get_json()["id"] == retried.get_json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _orders(app) == 1


def test_a_live_claim_answers_409_until_its_lease_lapses(app, api, tenant):
    from market.web.models import IdempotencyRecord
    from market.api_common import IN_PROGRESS
    from market.db import unit_of_work, utcnow

    who = tenant("buyer")
    buyer, body = api(who), order_body()
    first = buyer.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "k-done"})
    with app.app_context(), unit_of_work() as s:  # a claim as a request that died leaves it
        same_request = s.scalars(select(IdempotencyRecord.fingerprint).filter_by(key="k-done")).one()
        s.add(IdempotencyRecord(organization_id=who.actor.org_id, key="k-dead", fingerprint=same_request,
                                status_code=IN_PROGRESS, response_body="", lease_expires_at=utcnow() + timedelta(hours=1)))
        s.commit()
    assert buyer.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "k-dead"}).status_code == 409
    with app.app_context(), unit_of_work() as s:
        s.scalars(select(IdempotencyRecord).filter_by(key="k-dead")).one().lease_expires_at = utcnow() - timedelta(seconds=1)
        s.commit()
    redone = buyer.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "k-dead"})
    assert redone.status_code == 201 and redone.get_json()["id"] != first.get_json()["id"]
    assert _orders(app) == 2
    # the committed one replays, whatever its lease said
    assert buyer.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "k-done"}).get_json() == first.get_json()


def test_a_request_that_fails_after_its_service_committed_leaves_no_order_and_a_free_key(app, api, tenant, monkeypatch):
    from market.orders import services

    real = services.create_order

    def create_then_crash(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("the process fell over after the service returned")

    who = tenant("buyer")
    buyer, body = api(who), order_body()
    monkeypatch.setattr(services, "create_order", create_then_crash)
    try:
        assert buyer.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "k-crash"}).status_code == 500
    except RuntimeError:
        pass  # propagated by the test client
    monkeypatch.setattr(services, "create_order", real)
    retried = buyer.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "k-crash"})
    assert retried.status_code == 201 and _orders(app) == 1


def test_concurrent_retries_with_one_key_make_one_order(app, tenant):
    who = tenant("buyer")
    body, answers = order_body(), []
    headers = {"Authorization": f"Bearer {who.token}", "Idempotency-Key": "k-race"}
    start = threading.Barrier(6)

    def post():
        client = app.test_client()
        start.wait()
        r = client.post("/api/v1/orders", json=body, headers=headers)
        answers.append((r.status_code, (r.get_json() or {}).get("id")))

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert {status for status, _ in answers} <= {201, 409}, answers
    assert len({oid for status, oid in answers if status == 201}) == 1
    assert _orders(app) == 1


@pytest.mark.postgres_only  # pg_terminate_backend
def test_a_connection_killed_mid_transaction_leaves_no_duplicate(app, api, tenant, monkeypatch):
    from sqlalchemy import create_engine

    from market.orders import services

    real = services.create_order
    reached, go_on = threading.Event(), threading.Event()

    def create_then_wait(*args, **kwargs):
        out = real(*args, **kwargs)
        reached.set()
        go_on.wait(30)
        return out

    who = tenant("buyer")
    buyer, body = api(who), order_body()
    monkeypatch.setattr(services, "create_order", create_then_wait)
    answers = []
    t = threading.Thread(target=lambda: answers.append(
        buyer.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "k-term"})))
    t.start()
    assert reached.wait(30)
    admin = create_engine(app.config["DATABASE_URL"])
    with admin.connect() as conn:  # every connection of the app, as an operator (or a failover) would
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        conn.commit()
    admin.dispose()
    go_on.set()
    t.join(60)
    monkeypatch.setattr(services, "create_order", real)
    first = answers[0]
    assert first.status_code in (201, 503), first.get_data(as_text=True)
    retried = buyer.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "k-term"})
    assert retried.status_code == 201, retried.get_data(as_text=True)
    if first.status_code == 201:
        assert retried.get_json()["id"] == first.get_json()["id"]
    assert _orders(app) == 1


KILLABLE = r"""
import os, time
from market.orders import services

real = services.create_order

def create_then_hang(*args, **kwargs):
    out = real(*args, **kwargs)
    if not os.path.exists(os.environ["SIGNAL_FILE"]):  # only the first request hangs
        open(os.environ["SIGNAL_FILE"], "w").write(str(os.getpid()))
        time.sleep(120)
    return out

services.create_order = create_then_hang
from market import create_app
app = create_app()
"""


@pytest.mark.postgres_only  # as in production; on SQLite the plain kill -9 test above covers it
def test_kill_9_of_a_gunicorn_worker_mid_request_then_retry_makes_one_order(app, tenant, tmp_path):
    import requests

    from tests.ports import free_port

    who = tenant("buyer")
    (tmp_path / "killable.py").write_text(KILLABLE)
    flag, port = tmp_path / "worker-pid", free_port()
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "MARKET_VAR_DIR": str(tmp_path),
           "WEB_CONCURRENCY": "1", "WEB_THREADS": "1", "BIND": f"127.0.0.1:{port}", "LOG_LEVEL": "WARNING",
           "IN_PROCESS_SCHEDULER": "0", "IDEMPOTENCY_LEASE_S": "1", "SIGNAL_FILE": str(flag),
           "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    env.pop("CELERY_BROKER_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "python:market.gunicorn_conf", "killable:app"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    headers, body = {"Authorization": f"Bearer {who.token}", "Idempotency-Key": "k-gunicorn"}, order_body()
    try:
        _wait_healthy(base)
        first = threading.Thread(target=lambda: _swallow(lambda: requests.post(base + "/api/v1/orders", json=body,
                                                                               headers=headers, timeout=60)))
        first.start()
        deadline = time.monotonic() + 60
        while not flag.exists() or not flag.read_text():
            assert time.monotonic() < deadline, "the first request never reached the service"
            time.sleep(0.05)
        os.kill(int(flag.read_text()), signal.SIGKILL)  # gunicorn's master starts a new worker
        first.join(30)
        time.sleep(1.2)  # the dead worker's lease lapses
        _wait_healthy(base)

        retried = requests.post(base + "/api/v1/orders", json=body, headers=headers, timeout=30)
        assert retried.status_code == 201, retried.text
        again = requests.post(base + "/api/v1/orders", json=body, headers=headers, timeout=30)
        assert again.status_code == 201 and again.json()["id"] == retried.json()["id"]
        assert again.headers["Idempotent-Replayed"] == "true"
    finally:
        server.send_signal(signal.SIGINT)  # quick shutdown
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
    assert _orders(app) == 1


def _swallow(call):
    try:
        call()
    except Exception:
        pass  # the worker died under it: the connection drops


def _wait_healthy(base: str) -> None:
    import requests

    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(base + "/healthz", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, "gunicorn does not answer"
        time.sleep(0.2)
