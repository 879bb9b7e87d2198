"""Stripe mode end to end: the real `stripe` client over HTTP against localstripe plus our
fake for Connect and transfers; webhooks signed with Stripe's scheme. After every flow the
money adds up per order: captured = payouts + commission + refunds, to the minor unit."""
import json
import threading
import time
import uuid

import pytest
from sqlalchemy import func, select

from tests.market.payment_world import fake_stripe, localstripe, stripe_mode, world  # noqa: F401

SPLIT_TOTAL = 163000  # 100000 + 40000 + 20000 + 3000 transport
MILL_NET, FINISH_NET = 95000, 55800  # (100000 + 3000) - 8 %; 60000 - (8 % of 40000 + 5 % of 20000)
MONEY = {"amount": 100, "currency": "cny", "metadata": {}}  # what every money object of Stripe carries


def _paid(world, fake, oid):
    pi = world.pay_by_card(fake, oid)
    assert pi["status"] == "succeeded"
    response = world.webhook(fake, "payment_intent.succeeded", pi)
    assert response.status_code == 200 and response.get_json()["outcome"] == "captured", response.get_json()
    return pi


def _transfers(fake, oid):
    return sorted(fake.get(f"/v1/transfers?transfer_group=order-{oid}")["data"], key=lambda t: t["amount"])


def _ledger_types(app):
    import json

    from market.db import unit_of_work
    from market.journal.ledger import get_ledger

    with app.app_context(), unit_of_work() as s:
        store = get_ledger().store
        raw = store.entries(s.connection(), 0, store.size(s.connection()))
    return [json.loads(r)["event"]["type"] for r in raw]


def test_the_buyer_pays_at_acceptance_and_the_factory_is_paid_on_delivery_minus_commission(world, stripe_mode):
    fake = stripe_mode
    account = world.onboard(fake, world.mill)
    oid = world.order(split=False)
    pay = world.payment(oid, world.buyer)
    assert pay["provider"] == "stripe" and pay["state"] == "requires_payment" and pay["amount_minor"] == 100000
    assert pay["client_secret"] and pay["publishable_key"] == "pk_test_local"
    assert world.payment(oid, world.mill["client"])["client_secret"] is None  # the factory never sees it
    refused = world.mill["client"].post(f"/api/v1/orders/{oid}/transitions", json={"to": "in_production"})
    assert refused.status_code == 409 and "paid" in refused.get_json()["detail"]

    pi = _paid(world, fake, oid)
    assert pi["transfer_group"] == f"order-{oid}" and pi["capture_method"] != "manual"  # captured, never a hold
    assert world.payment(oid)["state"] == "captured"
    world.move(oid, "in_production")
    world.move(oid, "shipped")
    assert fake.count("POST", "/v1/transfers") == 0  # held until delivery
    assert [p["state"] for p in world.payment(oid)["payouts"]] == ["held"]
    world.move(oid, "delivered")

    pay = world.payment(oid)
    (payout,) = pay["payouts"]
    assert (payout["state"], payout["gross_minor"], payout["commission_minor"], payout["net_minor"]) == (
        "paid", 100000, 8000, 92000)
    (tr,) = _transfers(fake, oid)
    assert (tr["amount"], tr["destination"], tr["currency"]) == (92000, account, "cny")
    assert tr["source_transaction"] == pi["latest_charge"]["id"] if isinstance(pi["latest_charge"], dict) else pi["latest_charge"]
    balance = world.balance(oid)
    assert (balance.captured, balance.transferred, balance.commission, balance.refunded) == (100000, 92000, 8000, 0)
    assert balance.holds and balance.pending == 0
    # the factory sees its payout, commission included; the buyer sees neither
    assert [m["kind"] for m in world.payment(oid, world.mill["client"])["movements"]] == ["transfer", "commission"]
    assert [m["kind"] for m in world.payment(oid, world.buyer)["movements"]] == ["intent", "capture"]
    types = _ledger_types(world.app)
    for kind in ("payment.intent_created", "payment.captured", "payment.released", "payment.transferred",
                 "payment.commission_charged"):
        assert types.count(kind) == 1, (kind, types)


def test_no_amount_is_readable_on_the_public_ledger_but_each_commitment_opens(world, stripe_mode):
    import json

    from ledger.disclosure import opens
    from market.db import unit_of_work
    from market.orders.models import Order
    from market.payments.events import movement_payload
    from market.payments.models import Movement
    from market.journal.ledger import get_ledger

    fake = stripe_mode
    world.onboard(fake, world.mill)
    oid = world.order(split=False)
    _paid(world, fake, oid)
    with world.app.app_context(), unit_of_work() as s:
        ledger = get_ledger().store
        m = s.scalar(select(Movement).where(Movement.kind == "capture"))
        entry = json.loads(ledger.entry(s.connection(), m.ledger_index))["event"]
        order = s.get(Order, m.order_id)
        assert "100000" not in json.dumps(entry) and entry["type"] == "payment.captured"
        assert opens(entry["data"]["commitment"], movement_payload(m, order, None), m.salt)
        assert not opens(entry["data"]["commitment"], {**movement_payload(m, order, None), "amount_minor": 99999}, m.salt)


def test_cancelling_before_production_refunds_the_buyer_in_full(world, stripe_mode):
    fake = stripe_mode
    oid = world.order(split=False)
    pi = _paid(world, fake, oid)
    world.move(oid, "cancelled")
    pay = world.payment(oid)
    assert pay["state"] == "refunded" and pay["refunded_minor"] == 100000
    refunds = fake.get(f"/v1/refunds?payment_intent={pi['id']}")["data"]
    assert [r["amount"] for r in refunds] == [100000]
    assert [p["state"] for p in pay["payouts"]] == ["cancelled"]
    balance = world.balance(oid)
    assert balance.holds and (balance.captured, balance.refunded, balance.transferred) == (100000, 100000, 0)


def test_cancelling_before_the_buyer_paid_cancels_the_intent_and_moves_no_money(world, stripe_mode):
    fake = stripe_mode
    oid = world.order(split=False)
    intent = world.payment(oid, world.buyer)["client_secret"].split("_secret_")[0]
    world.move(oid, "cancelled")
    assert world.payment(oid)["state"] == "cancelled"
    assert fake.get(f"/v1/payment_intents/{intent}")["status"] == "canceled"
    balance = world.balance(oid)
    assert balance.holds and balance.captured == 0


def test_an_order_split_across_two_factories_pays_each_its_share(world, stripe_mode):
    fake = stripe_mode
    mill_acct, finish_acct = world.onboard(fake, world.mill), world.onboard(fake, world.finish)
    oid = world.order(split=True)
    assert world.payment(oid)["amount_minor"] == SPLIT_TOTAL
    _paid(world, fake, oid)
    for to in ("in_production", "shipped", "delivered"):
        world.move(oid, to)
    transfers = _transfers(fake, oid)
    assert [(t["amount"], t["destination"]) for t in transfers] == [(FINISH_NET, finish_acct), (MILL_NET, mill_acct)]
    pay = world.payment(oid)
    by_name = {p["factory"]: p for p in pay["payouts"]}
    assert by_name["Mill Works"]["commission_minor"] == 8000 and by_name["Finish Lab"]["commission_minor"] == 4200
    balance = world.balance(oid)
    assert balance.holds and balance.commission == 12200 and balance.transferred == MILL_NET + FINISH_NET
    # each factory sees only its own payout
    assert [p["factory"] for p in world.payment(oid, world.finish["client"])["payouts"]] == ["Finish Lab"]


def test_a_dispute_freezes_the_payouts_and_a_partial_refund_reduces_them(world, stripe_mode):
    fake = stripe_mode
    world.onboard(fake, world.mill)
    world.onboard(fake, world.finish)
    oid = world.order(split=True)
    pi = _paid(world, fake, oid)
    world.move(oid, "in_production")
    world.move(oid, "shipped")
    opened = world.buyer.post(f"/api/v1/orders/{oid}/disputes", json={
        "reason": "bores out of tolerance on 10 of 100 parts", "qc_data": '{"bore_mm": [10.08, 10.09]}'})
    assert opened.status_code == 201, opened.get_json()
    assert world.buyer.get(f"/api/v1/orders/{oid}").get_json()["state"] == "disputed"
    assert {p["state"] for p in world.payment(oid)["payouts"]} == {"frozen"}
    # a frozen payout cannot be released by confirming delivery meanwhile
    assert world.buyer.post(f"/api/v1/orders/{oid}/transitions", json={"to": "delivered"}).status_code == 409
    assert world.buyer.post(f"/api/v1/orders/{oid}/disputes/resolve", json={"outcome": "released"}).status_code == 403
    too_much = world.operator.post(f"/api/v1/orders/{oid}/disputes/resolve",
                                   json={"outcome": "partial_refund", "refund_minor": SPLIT_TOTAL})
    assert too_much.status_code == 422 and "refund_minor" in too_much.get_json()["errors"]

    resolved = world.operator.post(f"/api/v1/orders/{oid}/disputes/resolve",
                                   json={"outcome": "partial_refund", "refund_minor": 16300, "note": "10 % scrap"})
    assert resolved.status_code == 200, resolved.get_json()
    assert resolved.get_json()["state"] == "resolved" and resolved.get_json()["resolved_ledger_index"] is not None
    assert world.buyer.get(f"/api/v1/orders/{oid}").get_json()["state"] == "closed"
    # the refund is split over the payouts by their share: 10300 from Mill Works, 6000 from Finish Lab
    assert [t["amount"] for t in _transfers(fake, oid)] == [54000 - 3780, 92700 - 7200]
    assert [r["amount"] for r in fake.get(f"/v1/refunds?payment_intent={pi['id']}")["data"]] == [16300]
    pay = world.payment(oid)
    assert pay["state"] == "partially_refunded" and pay["refunded_minor"] == 16300
    balance = world.balance(oid)
    assert balance.holds and balance.commission == 7200 + 3780

    # the outcome reaches the factory's record
    from market.catalog.models import Factory
    from market.db import unit_of_work
    from market.payments.queries import factory_disputes, factory_revenue
    from datetime import datetime, timedelta, timezone

    now = datetime.now(timezone.utc)
    with world.app.app_context(), unit_of_work() as s:
        mill = s.scalar(select(Factory).where(Factory.name == "Mill Works"))
        (record,) = factory_disputes(s, mill.id, now - timedelta(hours=1), now + timedelta(hours=1))
        assert (record.outcome, record.refund_minor, str(record.order_id)) == ("partial_refund", 10300, oid)
        (paid,) = factory_revenue(s, mill.id, now - timedelta(hours=1), now + timedelta(hours=1))
        assert (paid.amount_minor, paid.currency, str(paid.order_id)) == (85500, "CNY", oid)
        assert paid.ledger_index is not None


def test_a_dispute_after_payout_refunds_in_full_by_reversing_the_transfers(world, stripe_mode):
    fake = stripe_mode
    world.onboard(fake, world.mill)
    world.onboard(fake, world.finish)
    oid = world.order(split=True)
    _paid(world, fake, oid)
    for to in ("in_production", "shipped", "delivered"):
        world.move(oid, to)
    assert world.balance(oid).transferred == MILL_NET + FINISH_NET
    world.buyer.post(f"/api/v1/orders/{oid}/disputes", json={"reason": "wrong alloy delivered"})
    resolved = world.operator.post(f"/api/v1/orders/{oid}/disputes/resolve", json={"outcome": "full_refund"})
    assert resolved.status_code == 200, resolved.get_json()
    assert sorted(t["amount_reversed"] for t in _transfers(fake, oid)) == [FINISH_NET, MILL_NET]
    balance = world.balance(oid)
    assert (balance.captured, balance.refunded, balance.reversed, balance.commission) == (
        SPLIT_TOTAL, SPLIT_TOTAL, MILL_NET + FINISH_NET, 0)
    assert balance.holds and world.payment(oid)["state"] == "refunded"


def test_replayed_and_out_of_order_webhooks_change_nothing_the_second_time(world, stripe_mode):
    from market.db import unit_of_work
    from market.payments.models import Movement

    fake = stripe_mode
    world.onboard(fake, world.mill)
    oid = world.order(split=False)
    pi = world.pay_by_card(fake, oid)
    processing = dict(pi, status="processing")
    payload, signature = fake.event("payment_intent.succeeded", pi, event_id="evt_once")
    assert world.post_webhook(payload, signature).get_json()["outcome"] == "captured"

    def snapshot():
        with world.app.app_context(), unit_of_work() as s:
            return (s.scalar(select(func.count()).select_from(Movement)), len(_ledger_types(world.app)),
                    world.payment(oid)["state"])

    before = snapshot()
    assert world.post_webhook(payload, signature).get_json()["outcome"] == "duplicate"  # the very same delivery
    again = world.webhook(fake, "payment_intent.succeeded", pi)  # same fact, another event id
    assert again.get_json()["outcome"] == "already captured"
    late = world.webhook(fake, "payment_intent.processing", processing, created=int(time.time()) - 60)
    assert late.get_json()["outcome"].startswith("stale")
    assert snapshot() == before == (before[0], before[1], "captured")

    for to in ("in_production", "shipped", "delivered"):
        world.move(oid, to)
    (tr,) = _transfers(fake, oid)
    before = snapshot()
    assert world.webhook(fake, "transfer.created", tr).get_json()["outcome"] == "transfer already succeeded"
    assert snapshot() == before


def test_webhooks_with_a_bad_or_old_signature_are_refused(world, stripe_mode):
    fake = stripe_mode
    payload, good = fake.event("payment_intent.succeeded", {"id": "pi_x", "object": "payment_intent", **MONEY})
    assert world.post_webhook(payload, good.replace("v1=", "v1=0")).status_code == 400
    assert world.post_webhook(payload, fake.sign(payload, int(time.time()), secret="whsec_other")).status_code == 400
    assert world.post_webhook(payload, fake.sign(payload, int(time.time()) - 3600)).status_code == 400
    assert world.post_webhook(payload, "").status_code == 400
    tampered = payload.replace(b"pi_x", b"pi_y")
    assert world.post_webhook(tampered, good).status_code == 400
    assert world.post_webhook(payload, good).status_code == 200


def test_a_lost_transfer_response_is_retried_with_the_same_key_and_pays_once(world, stripe_mode):
    fake = stripe_mode
    world.onboard(fake, world.mill)
    oid = world.order(split=False)
    _paid(world, fake, oid)
    world.move(oid, "in_production")
    world.move(oid, "shipped")
    fake.lose_next_response("POST", "/v1/transfers")  # Stripe made the transfer; we never heard back
    world.move(oid, "delivered")
    calls = [key for method, path, key in fake.calls if (method, path) == ("POST", "/v1/transfers")]
    assert len(calls) == 2 and calls[0] == calls[1] and calls[0].endswith("-a1")
    assert len(_transfers(fake, oid)) == 1
    assert world.payment(oid)["payouts"][0]["state"] == "paid" and world.balance(oid).holds


def test_when_stripe_is_down_the_movement_waits_and_the_webhook_or_the_retry_finishes_it(world, stripe_mode, app):
    from market.payments.execution import retry_all

    fake = stripe_mode
    app.config["STRIPE_MAX_RETRIES"] = 0
    app.extensions.pop("payment_providers", None)
    world.onboard(fake, world.mill)
    oid = world.order(split=False)
    pi = _paid(world, fake, oid)
    world.move(oid, "in_production")
    world.move(oid, "shipped")
    fake.lose_next_response("POST", "/v1/transfers")
    world.move(oid, "delivered")  # the transfer happened at Stripe, our record is still pending
    (movement,) = [m for m in world.payment(oid)["movements"] if m["kind"] == "transfer"]
    assert movement["state"] == "pending" and "unavailable" in movement["error"]
    assert world.balance(oid).pending == 1
    (tr,) = _transfers(fake, oid)
    assert world.webhook(fake, "transfer.created", tr).get_json()["outcome"] == "transfer succeeded"
    with app.app_context():
        assert retry_all() == {}  # nothing left to do
    assert len(_transfers(fake, oid)) == 1 and world.balance(oid).holds

    # a refund that fails twice is finished by the retry with the same key
    world.buyer.post(f"/api/v1/orders/{oid}/disputes", json={"reason": "late"})
    fake.fail_next("POST", "/v1/refunds")
    world.operator.post(f"/api/v1/orders/{oid}/disputes/resolve", json={"outcome": "partial_refund", "refund_minor": 1000})
    assert world.balance(oid).pending == 1
    with app.app_context():
        retry_all()
    assert [r["amount"] for r in fake.get(f"/v1/refunds?payment_intent={pi['id']}")["data"]] == [1000]
    assert world.balance(oid).holds and world.balance(oid).pending == 0


def test_parallel_payout_releases_never_pay_twice(world, stripe_mode, app):
    from market.db import unit_of_work
    from market.orders.models import Order
    from market.payments.execution import run_pending
    from market.payments.models import PaymentAccount

    fake = stripe_mode
    mill_acct, finish_acct = world.onboard(fake, world.mill), world.onboard(fake, world.finish)
    with app.app_context(), unit_of_work() as s:  # accounts restricted: the transfers wait
        for acct in s.scalars(select(PaymentAccount)):
            acct.transfers_status = "pending"
        s.commit()
    oid = world.order(split=True)
    _paid(world, fake, oid)
    for to in ("in_production", "shipped", "delivered"):
        world.move(oid, to)
    assert fake.count("POST", "/v1/transfers") == 0 and world.balance(oid).pending == 2
    with app.app_context(), unit_of_work() as s:
        for acct in s.scalars(select(PaymentAccount)):
            acct.transfers_status = "active"
        order_id = s.scalar(select(Order.id).where(Order.public_id == uuid.UUID(oid)))
        s.commit()
    barrier, errors = threading.Barrier(6), []

    def release():
        try:
            with app.app_context():
                barrier.wait()
                run_pending(order_id)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=release) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert fake.count("POST", "/v1/transfers") == 2  # one call per payout, no replay needed
    assert [(t["amount"], t["destination"]) for t in _transfers(fake, oid)] == [(FINISH_NET, finish_acct),
                                                                                 (MILL_NET, mill_acct)]
    assert _ledger_types(app).count("payment.transferred") == 2 and world.balance(oid).holds


def _captures(app) -> int:
    from market.db import unit_of_work
    from market.payments.models import Movement

    with app.app_context(), unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(Movement).where(Movement.kind == "capture"))


def test_one_event_delivered_many_times_at_once_is_applied_once_and_every_delivery_gets_200(world, stripe_mode, app):
    fake = stripe_mode
    world.onboard(fake, world.mill)
    oid = world.order(split=False)
    pi = world.pay_by_card(fake, oid)
    payload, signature = fake.event("payment_intent.succeeded", pi, event_id="evt_racing")
    barrier, answers = threading.Barrier(6), []

    def deliver():
        client = app.test_client()
        barrier.wait()
        try:
            response = client.post("/webhooks/stripe", data=payload,
                                   headers={"Stripe-Signature": signature, "Content-Type": "application/json"})
            answers.append((response.status_code, (response.get_json() or {}).get("outcome")))
        except Exception as exc:  # noqa: BLE001 - TESTING re-raises what would be a 500
            answers.append((500, repr(exc)[:200]))

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [(200, "captured")] + [(200, "duplicate")] * 5
    assert _captures(app) == 1 and world.payment(oid)["state"] == "captured"


def _signed(fake, body: dict) -> tuple[bytes, str]:
    payload = json.dumps(body).encode()
    return payload, fake.sign(payload, int(time.time()))


def _event(type_: str = "payment_intent.succeeded", obj=None, **over) -> dict:
    return {"id": f"evt_{uuid.uuid4().hex[:16]}", "object": "event", "type": type_, "created": int(time.time()),
            "data": {"object": obj if obj is not None else {"id": "pi_x", "object": "payment_intent", **MONEY}}, **over}


MALFORMED = {  # each signed correctly; what Stripe never sends
    "no data": lambda pi: {k: v for k, v in _event(obj=pi).items() if k != "data"},
    "no id": lambda pi: {k: v for k, v in _event(obj=pi).items() if k != "id"},
    "type not a string": lambda pi: _event(obj=pi, type=7),
    "id not a string": lambda pi: _event(obj=pi, id=["evt_list"]),
    "object a list": lambda pi: _event(obj=[pi]),
    "object a string": lambda pi: _event(obj="pi_x"),
    "object without id": lambda pi: _event(obj={k: v for k, v in pi.items() if k != "id"}),
    "object id a number": lambda pi: _event(obj=dict(pi, id=12)),
    "amount a string": lambda pi: _event(obj=dict(pi, amount_received="lots", amount="lots")),
    "amount null": lambda pi: _event(obj=dict(pi, amount_received=None, amount=None)),
    "metadata a string": lambda pi: _event(obj=dict(pi, metadata="order 1")),
    "currency null": lambda pi: _event(obj=dict(pi, currency=None)),
    "error a string": lambda pi: _event("payment_intent.payment_failed", dict(pi, last_payment_error="declined")),
    "refunds not a list": lambda pi: _event("charge.refunded", {"id": "ch_x", "refunds": {"data": "none"}}),
    "refunds not objects": lambda pi: _event("charge.refunded", {"id": "ch_x", "refunds": {"data": ["re_x"]}}),
    "reversals not a list": lambda pi: _event("transfer.reversed", {**MONEY, "id": "tr_x", "reversals": []}),
    "movement not a string": lambda pi: _event("refund.updated", {**MONEY, "id": "re_x", "metadata": {"movement": 5}}),
    "status a list": lambda pi: _event("refund.updated", {**MONEY, "id": "re_x", "status": ["succeeded"]}),
    "capabilities a string": lambda pi: _event("account.updated", {"id": "ACCOUNT", "capabilities": "all"}),
}


def test_signed_but_malformed_events_are_refused_with_400(world, stripe_mode, app):
    from market.db import unit_of_work
    from market.payments.models import PaymentAccount

    fake = stripe_mode
    world.onboard(fake, world.mill)
    oid = world.order(split=False)
    pi = world.pay_by_card(fake, oid)
    with app.app_context(), unit_of_work() as s:  # the account.updated case must reach a known account
        account = s.scalar(select(PaymentAccount.external_id))
    for case, make in MALFORMED.items():
        body = json.loads(json.dumps(make(pi)).replace('"ACCOUNT"', json.dumps(account)))
        response = world.post_webhook(*_signed(fake, body))
        assert response.status_code == 400 and response.mimetype == "application/problem+json", (case, response.data)
    assert _captures(app) == 0 and world.payment(oid)["state"] != "captured"
    assert world.webhook(fake, "payment_intent.succeeded", pi).get_json()["outcome"] == "captured"  # the good one lands


@pytest.mark.parametrize("skew_s", [3600, 330, -3600, -330])
def test_webhooks_signed_too_far_in_the_future_or_the_past_are_refused(world, stripe_mode, skew_s):
    fake = stripe_mode
    assert world.app.config["STRIPE_WEBHOOK_TOLERANCE_S"] == 300
    payload, _ = fake.event("payment_intent.succeeded", {"id": "pi_x", "object": "payment_intent", **MONEY})
    refused = world.post_webhook(payload, fake.sign(payload, int(time.time()) + skew_s))
    assert refused.status_code == 400 and "timestamp" in refused.get_json()["detail"].lower()
    assert world.post_webhook(payload, fake.sign(payload, int(time.time()) + 30)).status_code == 200  # clock skew


def test_a_payment_in_another_currency_is_refused_and_logged(world, stripe_mode, app):
    import logging

    class Records(logging.Handler):
        def __init__(self):
            super().__init__(logging.ERROR)
            self.messages = []

        def emit(self, record):
            self.messages.append(record.getMessage())

    fake = stripe_mode
    world.onboard(fake, world.mill)
    oid = world.order(split=False)
    pi = world.pay_by_card(fake, oid)
    assert pi["currency"].upper() == world.payment(oid)["currency"] == "CNY"
    records, logger = Records(), logging.getLogger("market.payments.webhooks")  # "market" does not propagate
    logger.addHandler(records)
    try:
        refused = world.webhook(fake, "payment_intent.succeeded", dict(pi, currency="usd"))
    finally:
        logger.removeHandler(records)
    assert refused.status_code == 422 and "currency" in refused.get_json()["errors"]
    assert any("usd" in m and "CNY" in m for m in records.messages), records.messages
    assert _captures(app) == 0 and world.payment(oid)["state"] != "captured"
    assert world.webhook(fake, "payment_intent.succeeded", pi).get_json()["outcome"] == "captured"
