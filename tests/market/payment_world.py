"""Fixtures and steps for payment tests: localstripe + our fake in front of it, Stripe
mode on the app, an order split across two factories with a quote put in place directly
(the solver is tested elsewhere; acceptance, booking and payment run for real)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
import stripe
from sqlalchemy import select

from tests.conftest import order_body
from tests.market.fake_stripe import FakeStripe, LocalStripe


@pytest.fixture(scope="session")
def localstripe():
    server = LocalStripe()
    yield server
    server.stop()


@pytest.fixture
def fake_stripe(localstripe):
    fake = FakeStripe(localstripe)
    yield fake
    fake.stop()


@pytest.fixture
def stripe_mode(app, fake_stripe):
    app.config.update(STRIPE_SECRET_KEY="sk_test_local", STRIPE_PUBLISHABLE_KEY="pk_test_local",
                      STRIPE_API_BASE=fake_stripe.url, STRIPE_WEBHOOK_SECRET=fake_stripe.webhook_secret,
                      STRIPE_RETRY_BACKOFF_S=0.01, STRIPE_TIMEOUT_S=10)
    return fake_stripe


class World:
    """A buyer, an operator, two factories; helpers to walk an order through its life."""

    def __init__(self, app, api, tenant, sites):
        self.app, self.api = app, api
        app.config["PAYMENT_BEFORE_PRODUCTION"] = True  # escrow first: no lot starts before the money is in
        self.buyer_t, self.operator_t = tenant("buyer"), tenant("operator")
        self.buyer, self.operator = api(self.buyer_t), api(self.operator_t)
        self.mill, self.finish = sites

    def order(self, split: bool = True, price=(100000, 40000, 20000), transport: int = 3000) -> str:
        """An accepted order: milling at Mill Works, then (split) anodizing and CMM at Finish Lab."""
        if split:
            order = self.buyer.post("/api/v1/orders", json=order_body()).get_json()
            legs = [(self.mill["machines"][0], "cnc_milling_3ax", price[0]),
                    (self.finish["machines"][0], "anodizing", price[1]),
                    (self.finish["machines"][1], "cmm_inspection", price[2])]
        else:
            order = self.buyer.post("/api/v1/orders", json=order_body(operations=[
                {"process_code": "cnc_milling_3ax", "setup_minutes": 30, "run_minutes_per_unit": 1}])).get_json()
            legs = [(self.mill["machines"][0], "cnc_milling_3ax", price[0])]
            transport = 0
        for site in (self.mill, self.finish):
            self.buyer.post(f"/api/v1/orders/{order['id']}/quote-requests", json={"factory_id": site["factory"]["id"]})
        quote_id = self.put_quote(order["id"], legs, transport)
        accepted = self.buyer.post(f"/api/v1/quotes/{quote_id}/accept")
        assert accepted.status_code == 200, accepted.get_json()
        return order["id"]

    def ship(self, order_id: str) -> dict:
        """Every operation of the order's lot made by the factory the quote placed it with,
        a passing final inspection, the shipment: the order follows to 'shipped'."""
        (lot,) = self.buyer.get(f"/api/v1/orders/{order_id}/lots").get_json()["items"]
        quantity = lot["quantity"]
        sites = {s["factory"]["id"]: s["client"] for s in (self.mill, self.finish)}
        last = None
        quote = next(q for q in self.buyer.get(f"/api/v1/orders/{order_id}/quotes").get_json()["items"] if q["status"] == "accepted")
        for line in sorted(quote["lines"], key=lambda ln: ln["seq"]):
            last = sites[line["factory_id"]]
            for step, body in (("start", {}), ("finish", {"good": quantity})):
                done = last.post(f"/api/v1/lots/{lot['id']}/operations/{line['seq']}/{step}", json=body)
                assert done.status_code == 200, done.get_json()
        qc = last.post(f"/api/v1/lots/{lot['id']}/qc", json={"result": "pass", "inspector": "QA"})
        assert qc.status_code in (200, 201), qc.get_json()
        shipped = last.post(f"/api/v1/lots/{lot['id']}/shipment", json={"carrier": "SF Express", "tracking_ref": "SF1"})
        assert shipped.status_code in (200, 201), shipped.get_json()
        order = self.buyer.get(f"/api/v1/orders/{order_id}").get_json()
        assert order["state"] == "shipped", order["state"]
        return order

    def put_quote(self, order_id: str, legs, transport: int) -> str:
        from market.catalog.models import CapacityWindow, Machine
        from market.db import unit_of_work
        from market.orders.models import Quote, QuoteLine
        from market.matching.models import SolveJob
        from market.orders.models import Order

        with self.app.app_context(), unit_of_work() as s:
            order = s.scalar(select(Order).where(Order.public_id == uuid.UUID(order_id)))
            job = SolveJob(kind="quote", organization_id=order.buyer_org_id, order_id=order.id, status="done")
            s.add(job)
            s.flush()
            now = datetime.now(timezone.utc)
            q = Quote(order_id=order.id, job_id=job.id, label="cheapest", price_minor=sum(p for *_x, p in legs),
                      transport_minor=transport, currency=order.currency, promised_at=now + timedelta(days=9),
                      expires_at=now + timedelta(days=1))
            for seq, (machine, code, price) in enumerate(legs, start=1):
                m = s.scalar(select(Machine).where(Machine.public_id == uuid.UUID(machine["id"])))
                w = s.scalars(select(CapacityWindow).where(CapacityWindow.machine_id == m.id,
                                                           CapacityWindow.status == "open")
                              .order_by(CapacityWindow.start_at)).all()[seq - 1]
                q.lines.append(QuoteLine(seq=seq, process_code=code, window_id=w.id, machine_id=m.id,
                                         factory_id=m.factory_id, start_at=w.start_at,
                                         end_at=w.start_at + timedelta(hours=1), price_minor=price))
            s.add(q)
            order.state = "quoted"
            s.commit()
            return str(q.public_id)

    def payment(self, order_id: str, who=None) -> dict:
        return (who or self.operator).get(f"/api/v1/orders/{order_id}/payment").get_json()

    def move(self, order_id: str, to: str, who=None, **extra):
        if to == "shipped":  # an order ships lot by lot (production domain)
            return self.ship(order_id)
        who = who or {"in_production": self.mill["client"]}.get(to, self.buyer)
        response = who.post(f"/api/v1/orders/{order_id}/transitions", json={"to": to, **extra})
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def balance(self, order_id: str):
        from market.db import unit_of_work
        from market.orders.models import Order
        from market.payments.queries import order_balance

        with self.app.app_context(), unit_of_work() as s:
            order = s.scalar(select(Order).where(Order.public_id == uuid.UUID(order_id)))
            return order_balance(s, order.id)

    def onboard(self, fake: FakeStripe, site) -> str:
        """The factory goes through Connect onboarding; Stripe tells us by webhook."""
        link = site["client"].post("/api/v1/payments/account/onboarding", json={
            "return_url": "http://127.0.0.1/payments/balance", "refresh_url": "http://127.0.0.1/payments/balance"})
        assert link.status_code == 200, link.get_json()
        account_id = link.get_json()["url"].rsplit("/", 1)[1]
        self.webhook(fake, "account.updated", fake.complete_onboarding(account_id))
        return account_id

    def webhook(self, fake: FakeStripe, type_: str, obj: dict, **kw):
        payload, signature = fake.event(type_, obj, **kw)
        return self.post_webhook(payload, signature)

    def post_webhook(self, payload: bytes, signature: str):
        client = self.app.test_client()
        return client.post("/webhooks/stripe", data=payload, headers={"Stripe-Signature": signature,
                                                                       "Content-Type": "application/json"})

    def pay_by_card(self, fake: FakeStripe, order_id: str, card: str = "4242424242424242") -> dict:
        """What Stripe.js does in the buyer's browser: attach a card and confirm the intent."""
        pay = self.payment(order_id, self.buyer)
        intent_id = pay["client_secret"].split("_secret_")[0]
        client = stripe.StripeClient("sk_test_buyer_browser", base_addresses={"api": fake.url}, max_network_retries=0)
        pm = client.v1.payment_methods.create(params={"type": "card", "card": {
            "number": card, "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
        client.v1.payment_intents.update(intent_id, params={"payment_method": pm.id})
        client.v1.payment_intents.confirm(intent_id)
        return fake.get(f"/v1/payment_intents/{intent_id}")


@pytest.fixture
def world(app, api, tenant, two_sites):
    return World(app, api, tenant, two_sites)
