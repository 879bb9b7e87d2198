"""Money above 2^31 minor units (¥21.47 M: a realistic 10,000-piece stamping order) is stored,
quoted, accepted and paid like any other amount, on SQLite and PostgreSQL; amounts above
the business ceiling are refused with a field message; a background job that fails shows
its user a clear message, never SQL or a traceback."""
import logging
from datetime import datetime, timedelta, timezone

import pytest

from market.api_common import MAX_MINOR
from tests.conftest import FACTORY, order_body
from tests.market.test_quotes import wait_job

BIG = 3_000_000_000  # > 2^31 - 1


@pytest.fixture
def expensive_mill(api, tenant):
    """A factory whose one mill costs 1,000,000,000 minor units an hour (and its machine rate is > 2^31)."""
    shop = api(tenant("factory", "Big Press"))
    factory = shop.post("/api/v1/factories", json={**FACTORY, "name": "Big Press"}).get_json()
    machine = shop.post("/api/v1/machines", json={"factory_id": factory["id"], "name": "Press 1",
                                                   "processes": ["cnc_milling_3ax"], "hourly_rate_minor": BIG})
    assert machine.status_code == 201, machine.get_json()
    start = (datetime.now(timezone.utc) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    window = shop.post("/api/v1/capacity-windows", json={
        "machine_id": machine.get_json()["id"], "start": start.isoformat(), "end": (start + timedelta(hours=8)).isoformat(),
        "pricing_mode": "per_hour", "price": 1_000_000_000})
    assert window.status_code == 201, window.get_json()
    assert window.get_json()["price"] == 1_000_000_000
    return shop


def test_an_order_worth_three_billion_minor_units_is_quoted_accepted_and_paid(api, tenant, expensive_mill):
    buyer, operator = api(tenant("buyer")), api(tenant("operator"))
    # 60 + 100 x 1.5 = 210 minutes at 1,000,000,000 an hour: 3,500,000,000
    body = order_body(budget_minor=BIG * 2, operations=[
        {"process_code": "cnc_milling_3ax", "setup_minutes": 60, "run_minutes_per_unit": 1.5}])
    created = buyer.post("/api/v1/orders", json=body)
    assert created.status_code == 201, created.get_json()
    order = created.get_json()
    assert order["budget_minor"] == BIG * 2
    job = wait_job(buyer, buyer.post(f"/api/v1/orders/{order['id']}/quotes").get_json()["id"])
    assert job["status"] == "done", job
    (quote, *_) = buyer.get(f"/api/v1/orders/{order['id']}/quotes").get_json()["items"]
    assert sum(line["price_minor"] for line in quote["lines"]) == 3_500_000_000
    accepted = buyer.post(f"/api/v1/quotes/{quote['id']}/accept")
    assert accepted.status_code == 200, accepted.get_json()
    payment = buyer.get(f"/api/v1/orders/{order['id']}/payment").get_json()
    assert payment["amount_minor"] >= 3_500_000_000
    confirmed = operator.post(f"/api/v1/orders/{order['id']}/payment/confirm", json={"bank_reference": "ICBC-1"})
    assert confirmed.status_code == 200, confirmed.get_json()
    assert confirmed.get_json()["state"] == "captured"
    assert any(m["amount_minor"] >= 3_500_000_000 for m in confirmed.get_json()["movements"])


@pytest.mark.parametrize("field, body", [
    ("budget_minor", order_body(budget_minor=MAX_MINOR + 1)),
    ("budget_minor", order_body(budget_minor=2**63)),
    ("budget_minor", order_body(budget_minor=10**30)),
])
def test_an_order_above_the_money_ceiling_is_refused_with_a_field_message(api, tenant, field, body):
    response = api(tenant("buyer")).post("/api/v1/orders", json=body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.text = ""

    def emit(self, record):
        self.text += self.format(record) + "\n"


def test_a_solve_that_fails_shows_a_clear_message_and_logs_the_detail(api, tenant, two_sites, monkeypatch):
    import market.matching.services as services

    def broken(*_args, **_kwargs):
        raise RuntimeError('(psycopg.errors.NumericValueOutOfRange) integer out of range [SQL: INSERT INTO quotes ...]')

    monkeypatch.setattr(services, "quote", broken)
    buyer = api(tenant("buyer"))
    order = buyer.post("/api/v1/orders", json=order_body()).get_json()
    records = _Records()
    logging.getLogger("market.jobs").addHandler(records)  # the app's loggers do not propagate to pytest's
    try:
        job = wait_job(buyer, buyer.post(f"/api/v1/orders/{order['id']}/quotes").get_json()["id"])
    finally:
        logging.getLogger("market.jobs").removeHandler(records)
    assert job["status"] == "failed"
    assert "SQL" not in job["error"] and "psycopg" not in job["error"] and "RuntimeError" not in job["error"]
    assert "could not" in job["error"]
    assert "integer out of range" in records.text  # the detail is in the log


def test_a_quote_above_the_money_ceiling_is_not_offered_and_the_job_says_why(api, tenant):
    """10^13 a piece x 10^7 pieces is 10^20 minor units: more than a BIGINT holds. The solver may
    find it, but it is no offer: the job ends with a message, never an internal error."""
    shop = api(tenant("factory", "Gold Press"))
    factory = shop.post("/api/v1/factories", json={**FACTORY, "name": "Gold Press"}).get_json()
    machine = shop.post("/api/v1/machines", json={"factory_id": factory["id"], "name": "Press 1",
                                                   "processes": ["cnc_milling_3ax"]}).get_json()
    start = (datetime.now(timezone.utc) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    assert shop.post("/api/v1/capacity-windows", json={
        "machine_id": machine["id"], "start": start.isoformat(), "end": (start + timedelta(days=20)).isoformat(),
        "pricing_mode": "per_piece", "price": MAX_MINOR}).status_code == 201
    buyer = api(tenant("buyer"))
    order = buyer.post("/api/v1/orders", json=order_body(
        quantity=10**7, budget_minor=MAX_MINOR, due_at=(start + timedelta(days=400)).isoformat(),
        operations=[{"process_code": "cnc_milling_3ax", "setup_minutes": 0, "run_minutes_per_unit": 0.001}]))
    assert order.status_code == 201, order.get_json()
    job = wait_job(buyer, buyer.post(f"/api/v1/orders/{order.get_json()['id']}/quotes").get_json()["id"])
    assert job["status"] == "done", job
    assert "ceiling" in job["result"]["message"], job
    assert buyer.get(f"/api/v1/orders/{order.get_json()['id']}/quotes").get_json()["items"] == []
