"""Prometheus metrics at /metrics: request latency by endpoint and status, figures read
from the database at scrape time, access limited to loopback or a token, and the sum over
several gunicorn workers in multiprocess mode."""
import os
import re
import time

import pytest
import requests

from tests.conftest import order_body
from tests.market.conftest import gunicorn
from tests.ports import free_port


def _value(text: str, name: str, **labels) -> float | None:
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)$", line)
        if m and m.group(1) == name and all(part in (m.group(2) or "") for part in want.split(",") if part):
            return float(m.group(3))
    return None


def test_metrics_show_request_latency_by_endpoint_and_the_ledger_size(app, client, api, tenant):
    buyer = api(tenant("buyer"))
    before = _value(client.get("/metrics").get_data(as_text=True), "market_http_request_duration_seconds_count",
                    endpoint="orders_api.create_order", method="POST", status="201") or 0
    for _ in range(3):
        assert buyer.post("/api/v1/orders", json=order_body()).status_code == 201
    text = client.get("/metrics").get_data(as_text=True)
    after = _value(text, "market_http_request_duration_seconds_count", endpoint="orders_api.create_order",
                   method="POST", status="201")
    assert after - before == 3
    with app.app_context():
        from market.journal.ledger import get_ledger
        from market.db import unit_of_work

        with unit_of_work() as s:
            size = get_ledger().store.size(s.connection())
    assert size > 0 and _value(text, "market_ledger_entries") == size
    assert _value(text, "market_ledger_unanchored_entries") == size  # nothing anchored yet
    assert _value(text, "market_database_up") == 1
    assert _value(text, "market_jobs", status="queued") is not None
    assert "market_telemetry_readings_total" in text and "market_solve_duration_seconds" in text


def test_urls_with_ids_do_not_become_labels(client, api, tenant):
    buyer = api(tenant("buyer"))
    order = buyer.post("/api/v1/orders", json=order_body()).get_json()
    buyer.get(f"/api/v1/orders/{order['id']}")
    text = client.get("/metrics").get_data(as_text=True)
    assert order["id"] not in text


def test_metrics_refuse_remote_callers_without_the_token(app, client):
    remote = {"REMOTE_ADDR": "10.1.2.3"}
    assert client.get("/metrics", environ_base=remote).status_code == 403
    app.config["METRICS_TOKEN"] = "scrape-secret-1"
    assert client.get("/metrics", environ_base=remote, headers={"Authorization": "Bearer wrong"}).status_code == 403
    ok = client.get("/metrics", environ_base=remote, headers={"Authorization": "Bearer scrape-secret-1"})
    assert ok.status_code == 200 and ok.mimetype == "text/plain"


@pytest.fixture
def gunicorn_two_workers(app, tmp_path):
    prom = tmp_path / "prom"
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "MARKET_VAR_DIR": str(tmp_path),
           "WEB_CONCURRENCY": "2", "WEB_THREADS": "1", "BIND": f"127.0.0.1:{free_port()}", "LOG_LEVEL": "WARNING",
           "PROMETHEUS_MULTIPROC_DIR": str(prom), "IN_PROCESS_SCHEDULER": "0"}
    env.pop("CELERY_BROKER_URL", None)
    with gunicorn(env) as base:
        yield base, prom


def test_gunicorn_workers_count_into_one_multiprocess_registry(gunicorn_two_workers):
    from concurrent.futures import ThreadPoolExecutor

    base, prom = gunicorn_two_workers
    before = _value(requests.get(base + "/metrics").text, "market_http_request_duration_seconds_count",
                    endpoint="web.healthz", method="GET", status="200") or 0
    served_by: set[str] = set()
    sent, deadline = 0, time.monotonic() + 60
    with ThreadPoolExecutor(8) as pool:  # concurrent: both (single-threaded) workers must serve
        while len(served_by) < 2 and time.monotonic() < deadline:  # the second may still be booting
            codes = list(pool.map(lambda _: requests.get(base + "/healthz", headers={"Connection": "close"}).status_code,
                                  range(20)))
            assert codes == [200] * 20
            sent += 20
            served_by = {re.search(r"_(\d+)\.db$", p.name).group(1) for p in prom.glob("histogram_*.db")}
    assert len(served_by) >= 2  # requests were answered by more than one worker ...
    count = _value(requests.get(base + "/metrics").text, "market_http_request_duration_seconds_count",
                   endpoint="web.healthz", method="GET", status="200")
    assert count - before == sent  # ... and one scrape counts every one of them
