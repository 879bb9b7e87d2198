"""Fixtures shared by the marketplace tests."""
import contextlib
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
import redis

from tests.conftest import FACTORY, order_body, redis_url
from tests.market.test_quotes import wait_job


@pytest.fixture
def twin_mills(api, tenant):
    """A factory with two 3-axis mills and a buyer whose order is booked on the cheaper one
    (Mill 1): the setting for a breakdown that must move the work to Mill 2."""
    owner = tenant("factory", "Twin Mills")
    shop = api(owner)
    factory = shop.post("/api/v1/factories", json={**FACTORY, "name": "Twin Mills"}).get_json()
    start = (datetime.now(timezone.utc) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    mills = []
    for n, price in ((1, 10000), (2, 30000)):  # the cheap mill gets the booking
        m = shop.post("/api/v1/machines", json={"factory_id": factory["id"], "name": f"Mill {n}",
                                                 "processes": ["cnc_milling_3ax"]}).get_json()
        shop.post("/api/v1/capacity-windows", json={"machine_id": m["id"], "start": start.isoformat(),
                  "end": (start + timedelta(hours=10)).isoformat(), "pricing_mode": "per_hour", "price": price})
        mills.append(m)
    buyer_tenant = tenant("buyer")
    buyer = api(buyer_tenant)
    body = order_body(operations=[{"process_code": "cnc_milling_3ax", "setup_minutes": 30, "run_minutes_per_unit": 1}])
    order = buyer.post("/api/v1/orders", json=body).get_json()
    wait_job(buyer, buyer.post(f"/api/v1/orders/{order['id']}/quotes").get_json()["id"])
    cheapest = next(q for q in buyer.get(f"/api/v1/orders/{order['id']}/quotes").get_json()["items"] if q["label"] == "cheapest")
    assert cheapest["lines"][0]["machine"] == "Mill 1"
    assert buyer.post(f"/api/v1/quotes/{cheapest['id']}/accept").status_code == 200

    def booked() -> dict[str, list[dict]]:
        plan = shop.get(f"/api/v1/factories/{factory['id']}/schedule").get_json()
        return {row["name"]: [b for b in row["bars"] if b["kind"] == "booked"] for row in plan["rows"]}

    return SimpleNamespace(owner=owner, shop=shop, factory=factory, mills=mills, buyer=buyer, order=order,
                           booked=booked, buyer_tenant=buyer_tenant)


# -- a real Celery worker on the local Redis ----------------------------------------------------

WORKER = ["worker", "--pool", "solo", "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "WARNING"]


def celery(app, broker_url: str, var_dir, *args: str, env: dict | None = None, output=subprocess.PIPE):
    """`celery -A market.worker <args>` against the test's database and broker."""
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "CELERY_BROKER_URL": broker_url,
           "MARKET_VAR_DIR": str(var_dir), "LOG_LEVEL": "WARNING", **(env or {})}
    stderr = subprocess.STDOUT if output == subprocess.PIPE else output
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "market.worker", *args], env=env, stdout=output,
                            stderr=stderr)




@contextlib.contextmanager
def gunicorn(env: dict):
    """gunicorn serving `market:create_app()` with `env` (BIND names the port) until the block
    ends; yields its base URL once /healthz answers (at most 60 s)."""
    import requests

    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "python:market.gunicorn_conf",
                               "market:create_app()"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://{env['BIND']}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/healthz", timeout=2).ok:
                break
        except requests.RequestException:
            time.sleep(0.2)
    try:
        yield base
    finally:
        stop(server)


def stop(*processes) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def broker_url(request):
    """An emptied Redis database: the test module's BROKER_DB (modules use their own)."""
    url = redis_url(request.module.BROKER_DB)
    redis.Redis.from_url(url).flushdb()  # fails loudly when Redis is down: .ci/run starts it
    return url


@pytest.fixture
def worker(app, broker_url, tmp_path):
    process = celery(app, broker_url, tmp_path, *WORKER)
    yield process
    stop(process)


def portal_sign_up(client, data: dict, **kw):
    """Sign up in the portal as a person does: the form, then the link mailed to the address.
    Returns the form's answer when it was refused, else the link's (a redirect to /dashboard)."""
    import re

    from sqlalchemy import select

    from market.mail.models import OutboxEmail
    from market.db import unit_of_work

    response = client.post("/signup", data=data, **kw)
    if response.status_code != 302:
        return response
    with client.application.app_context(), unit_of_work() as s:
        mail = s.scalars(select(OutboxEmail).where(OutboxEmail.to_address == data["email"].strip().lower())
                         .order_by(OutboxEmail.id.desc())).first()
    link = re.search(r"(/signup/confirm\?token=[\w-]+)", mail.body)
    return client.post(link.group(1), **kw) if link else response
