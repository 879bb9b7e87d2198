"""Broker trouble, nothing lost: a job whose message the broker lost is handed off again by
the periodic sweep (and runs in-process while the broker is down); a job handed out twice
runs once; a job whose worker died is marked failed for its owner to see."""
import contextlib
import socket
import subprocess
import threading
import time
import uuid
from datetime import timedelta

import redis
from sqlalchemy import func, select

from tests.conftest import order_body, redis_url
from tests.market.conftest import WORKER, celery, stop
from tests.market.test_quotes import wait_job

BROKER_DB = 13


def _sweep(app):
    from market.ops import periodic

    with app.app_context():
        return periodic.run("sweep_jobs")


def _order_pk(s, public_id) -> int:
    from market.orders.models import Order

    return s.scalar(select(Order.id).where(Order.public_id == uuid.UUID(public_id)))


def test_a_job_the_broker_lost_is_handed_off_again_and_done(app, api, tenant, two_sites, tmp_path):
    broker = redis_url(BROKER_DB)
    redis.Redis.from_url(broker).flushdb()
    app.config["CELERY_BROKER_URL"] = broker  # accepted by Redis; no worker is running
    buyer = api(tenant("buyer"))
    order = buyer.post("/api/v1/orders", json=order_body()).get_json()
    job = buyer.post(f"/api/v1/orders/{order['id']}/quotes").get_json()
    assert buyer.get(f"/api/v1/jobs/{job['id']}").get_json()["status"] == "queued"
    redis.Redis.from_url(broker).flushdb()  # the broker restarted empty: the message is gone

    assert _sweep(app) == {"requeued": 0, "lost": 0}  # too young to call lost
    app.config["JOB_REQUEUE_AFTER_S"] = 0
    assert _sweep(app) == {"requeued": 1, "lost": 0}
    worker = celery(app, broker, tmp_path, *WORKER, output=subprocess.DEVNULL)
    try:
        done = wait_job(buyer, job["id"], timeout=90)
    finally:
        stop(worker)
    assert done["status"] == "done" and done["result"]["alternatives"] >= 1
    assert app.extensions["jobs"] is None  # the worker did it, not this process


def test_with_the_broker_down_a_swept_job_runs_in_process(app, api, tenant, two_sites):
    app.config.update(CELERY_BROKER_URL="redis://127.0.0.1:6399/0", JOB_REQUEUE_AFTER_S=0)  # nothing listens
    from market.db import unit_of_work
    from market.matching.models import SolveJob

    who = tenant("buyer")
    buyer = api(who)
    order = buyer.post("/api/v1/orders", json=order_body()).get_json()

    with app.app_context(), unit_of_work() as s:  # queued, and its process stopped before running it
        s.add(SolveJob(kind="quote", organization_id=who.actor.org_id, order_id=_order_pk(s, order["id"])))
        s.commit()
        job_id = s.scalar(select(SolveJob.public_id).order_by(SolveJob.id.desc()))
    assert _sweep(app)["requeued"] == 1
    assert wait_job(buyer, job_id)["status"] == "done" and app.extensions["jobs"] is not None


def test_a_job_handed_out_twice_runs_once(app, api, tenant, two_sites):
    from market.db import unit_of_work
    from market.matching import tasks
    from market.orders.models import Quote
    from market.matching.models import SolveJob

    buyer = api(tenant("buyer"))
    order = buyer.post("/api/v1/orders", json=order_body()).get_json()
    first = wait_job(buyer, buyer.post(f"/api/v1/orders/{order['id']}/quotes").get_json()["id"])
    with app.app_context():
        with unit_of_work() as s:
            job_id = s.scalar(select(SolveJob.id).where(SolveJob.kind == "quote"))
            quotes = s.scalar(select(func.count()).select_from(Quote))
        tasks.execute("quote", job_id)  # delivered again (e.g. re-queued while a worker still had it)
        with unit_of_work() as s:
            assert s.scalar(select(func.count()).select_from(Quote)) == quotes
    assert buyer.get(f"/api/v1/jobs/{first['id']}").get_json()["status"] == "done"


def test_a_job_whose_worker_died_is_marked_failed(app, tenant):
    from market.db import unit_of_work, utcnow
    from market.matching.models import SolveJob

    buyer = tenant("buyer")
    with app.app_context(), unit_of_work() as s:
        s.add_all([SolveJob(kind="quote", organization_id=buyer.actor.org_id, status="running",
                            created_at=utcnow() - timedelta(hours=2)),
                   SolveJob(kind="quote", organization_id=buyer.actor.org_id, status="running")])
        s.commit()
    assert _sweep(app) == {"requeued": 0, "lost": 1}
    with app.app_context(), unit_of_work() as s:
        statuses = sorted(s.scalars(select(SolveJob.status)))
        lost = s.scalar(select(SolveJob).where(SolveJob.status == "failed"))
    assert statuses == ["failed", "running"] and "worker lost" in lost.error


@contextlib.contextmanager
def _hung_broker():
    """A server on 127.0.0.1 that accepts TCP connections and never answers a byte."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held, stop = [], threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        server.close()


def test_a_hung_broker_neither_hangs_requests_nor_loses_jobs_and_readyz_names_it(app, api, tenant, two_sites):
    buyer = api(tenant("buyer"))
    order = buyer.post("/api/v1/orders", json=order_body()).get_json()
    with _hung_broker() as url:
        app.config["CELERY_BROKER_URL"] = url
        answers = []
        asking = threading.Thread(target=lambda: answers.append(buyer.post(f"/api/v1/orders/{order['id']}/quotes")),
                                  daemon=True)
        asking.start()
        asking.join(8)
        assert answers, "the request still hangs on the broker after 8 s"
        requested = answers[0]
        assert requested.status_code == 202
        started = time.monotonic()
        ready = app.test_client().get("/readyz")
        assert time.monotonic() - started < 8
        assert ready.status_code == 503 and ready.get_json()["checks"]["broker"] != "ok"
        assert ready.get_json()["checks"]["database"] == "ok"
        # the job was not lost: it ran here, as with a closed port
        assert wait_job(buyer, requested.get_json()["id"])["status"] == "done"
        assert app.extensions["jobs"] is not None
