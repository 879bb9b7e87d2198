"""PostgreSQL restarting under traffic: requests fail cleanly (503 problem+json, never a
500), the app reconnects by itself (pool_pre_ping), and nothing acknowledged is lost.

Runs against a private PostgreSQL cluster made for this test (initdb into a temporary
directory, on a free port, as the `postgres` OS user): the shared server is never touched.
"""
import glob
import shutil
import subprocess
import tempfile
import threading
import time
import uuid

import pytest
from sqlalchemy import create_engine, func, select, text

from tests.conftest import make_tenant, order_body
from tests.ports import free_port

pytestmark = pytest.mark.postgres_only


def _as_postgres(*argv, **kw):
    return subprocess.run(["runuser", "-u", "postgres", "--", *argv], check=True, capture_output=True, text=True, **kw)


@pytest.fixture(scope="module")
def private_postgres():
    bindir = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
    data = tempfile.mkdtemp(prefix="smm-pg-")
    shutil.chown(data, "postgres", "postgres")
    port = free_port()
    _as_postgres(f"{bindir}/initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync")
    pg_ctl = [f"{bindir}/pg_ctl", "-D", data, "-l", f"{data}/server.log", "-w", "-t", "60",
              "-o", f"-p {port} -k {data} -c listen_addresses=127.0.0.1"]
    _as_postgres(*pg_ctl, "start")
    admin = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE market"))
    admin.dispose()
    yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/market", pg_ctl
    subprocess.run(["runuser", "-u", "postgres", "--", *pg_ctl[:3], "-m", "immediate", "stop"], capture_output=True)  # binary, -D, data dir
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture
def app_on_private_postgres(private_postgres, tmp_path):
    from market import create_app, migrate

    url, pg_ctl = private_postgres
    migrate.upgrade(url)
    # not TESTING: an unhandled error must become the 500 a client would see, not a raise
    app = create_app({"TESTING": False, "DATABASE_URL": url, "SECRET_KEY": "t", "VAR_DIR": str(tmp_path),
                      "UPLOAD_DIR": str(tmp_path / "uploads"), "LOG_LEVEL": "ERROR", "WTF_CSRF_ENABLED": False,
                      "API_RATE_LIMIT": "100000 per minute"})  # one token drives all the traffic
    yield app, pg_ctl
    app.extensions["db"].dispose()


def test_requests_during_a_database_restart_fail_cleanly_and_nothing_acknowledged_is_lost(app_on_private_postgres):
    app, pg_ctl = app_on_private_postgres
    with app.app_context():
        buyer = make_tenant("buyer")
    auth = {"Authorization": f"Bearer {buyer.token}"}
    outcomes, acknowledged, to_retry = [], {}, []
    lock, stop = threading.Lock(), threading.Event()

    def traffic():
        client = app.test_client()
        while not stop.is_set():
            key, body = uuid.uuid4().hex, order_body()
            created = client.post("/api/v1/orders", json=body, headers={**auth, "Idempotency-Key": key})
            listed = client.get("/api/v1/orders?per_page=5", headers=auth)
            portal = client.get("/login")
            with lock:
                for r in (created, listed, portal):
                    outcomes.append((r.status_code, r.mimetype, r.headers.get("Retry-After"), r.get_data(as_text=True)))
                if created.status_code == 201:
                    acknowledged[key] = created.get_json()["id"]
                elif created.status_code == 503:
                    to_retry.append((key, body))

    threads = [threading.Thread(target=traffic) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    _as_postgres(*pg_ctl, "-m", "immediate", "restart")  # a crash and recovery, mid-traffic
    time.sleep(2.0)
    stop.set()
    for t in threads:
        t.join(60)

    statuses = {status for status, *_ in outcomes}
    assert statuses <= {200, 201, 503}, [o for o in outcomes if o[0] not in (200, 201, 503)][:3]
    failures = [o for o in outcomes if o[0] == 503]
    assert failures, "the restart was not felt: the test exercised nothing"
    for status, mimetype, retry_after, body in failures:
        assert retry_after and "Traceback" not in body
        assert mimetype in ("application/problem+json", "text/html")
    assert any(m == "application/problem+json" for _, m, _, _ in failures)

    # the same app, never restarted, serves again
    client = app.test_client()
    assert client.post("/api/v1/orders", json=order_body(), headers=auth).status_code == 201
    # a client retrying its failed requests with the same key gets each order exactly once
    for key, body in to_retry:
        retried = client.post("/api/v1/orders", json=body, headers={**auth, "Idempotency-Key": key})
        assert retried.status_code == 201, retried.get_data(as_text=True)
        acknowledged[key] = retried.get_json()["id"]
        again = client.post("/api/v1/orders", json=body, headers={**auth, "Idempotency-Key": key})
        assert again.status_code == 201 and again.get_json()["id"] == acknowledged[key], again.get_data(as_text=True)

    # nothing acknowledged was lost
    for order_id in acknowledged.values():
        assert client.get(f"/api/v1/orders/{order_id}", headers=auth).status_code == 200
    from market.db import unit_of_work
    from market.orders.models import Order

    with app.app_context(), unit_of_work() as s:
        stored = s.scalar(select(func.count()).select_from(Order))
    assert stored >= len(acknowledged) + 1
