"""Production path for background solves: Celery on the local Redis, a real worker
process; and when the broker is down the job still runs (in-process), nothing lost."""
import time

from tests.conftest import order_body
from tests.market.test_quotes import wait_job

BROKER_DB = 15  # the Redis database the broker_url fixture (tests/market/conftest.py) empties


def test_a_quote_solve_runs_in_the_celery_worker(app, api, tenant, two_sites, broker_url, worker):
    app.config["CELERY_BROKER_URL"] = broker_url
    buyer = api(tenant("buyer"))
    order = buyer.post("/api/v1/orders", json=order_body()).get_json()
    job = wait_job(buyer, buyer.post(f"/api/v1/orders/{order['id']}/quotes").get_json()["id"], timeout=90)
    assert job["status"] == "done" and job["result"]["alternatives"] >= 1
    assert app.extensions["jobs"] is None  # nothing ran in the web process
    assert worker.poll() is None


def test_with_the_broker_down_the_job_runs_in_process_and_is_not_lost(app, api, tenant, two_sites):
    app.config["CELERY_BROKER_URL"] = "redis://127.0.0.1:6399/0"  # nothing listens there
    buyer = api(tenant("buyer"))
    order = buyer.post("/api/v1/orders", json=order_body()).get_json()
    started = time.monotonic()
    response = buyer.post(f"/api/v1/orders/{order['id']}/quotes")
    assert response.status_code == 202 and time.monotonic() - started < 10
    job = wait_job(buyer, response.get_json()["id"])
    assert job["status"] == "done" and app.extensions["jobs"] is not None
