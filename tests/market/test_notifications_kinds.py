"""Per kind of notification (market/notifications/catalogue.py): the right people are told,
only they, in their language, with nothing they may not know (a competitor never learns who won
or at what price; a factory never sees the buyer's budget)."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from tests.conftest import FACTORY, order_body
from tests.market.notify_helpers import eventually, kinds, mails, set_locale, told
from tests.market.payment_world import world  # noqa: F401
from tests.market.test_quotes import wait_job


def _invite(buyer, order_id, site):
    response = buyer.post(f"/api/v1/orders/{order_id}/quote-requests", json={"factory_id": site["factory"]["id"]})
    assert response.status_code == 201, response.get_json()


def test_a_factory_invited_to_quote_is_told_in_chinese_and_mailed_and_nobody_else_is(app, api, tenant, two_sites):
    mill, finish = two_sites
    set_locale(app, mill["tenant"], "zh_CN")
    buyer_t = tenant("buyer", "Acme Pumps")
    buyer = api(buyer_t)
    order = buyer.post("/api/v1/orders", json=order_body(title="Pump bracket")).get_json()
    _invite(buyer, order["id"], mill)
    _invite(buyer, order["id"], mill)  # asked again: no second invitation, no second notification

    [note] = told(app, mill["tenant"])
    assert note["kind"] == "quote.invited" and note["link"] == ("order", order["id"])
    assert note["title"] == "邀请您报价"
    assert "Acme Pumps" in note["body"] and "Pump bracket" in note["body"] and "100" in note["body"]
    assert "5000" not in note["body"] and "budget" not in note["params"]  # the budget stays the buyer's
    [mail] = mails(app, mill["tenant"])  # action needed: e-mail on by default, in the user's language
    assert mail["language"] == "zh_CN" and mail["subject"] == "邀请您报价" and mail["status"] == "pending"
    assert kinds(app, finish["tenant"]) == [] and kinds(app, buyer_t) == []


def test_quotes_ready_tell_the_buyer_and_no_factory(app, api, tenant, two_sites):
    buyer_t = tenant("buyer")
    buyer = api(buyer_t)
    order = buyer.post("/api/v1/orders", json=order_body()).get_json()
    wait_job(buyer, buyer.post(f"/api/v1/orders/{order['id']}/quotes").get_json()["id"])
    [note] = eventually(lambda: told(app, buyer_t, "quotes.ready"))
    count = len(buyer.get(f"/api/v1/orders/{order['id']}/quotes").get_json()["items"])
    assert note["params"]["count"] == count and f"{count} quote(s)" in note["body"]
    assert [m["kind"] for m in mails(app, buyer_t)] == ["quotes.ready"]
    for site in two_sites:
        assert kinds(app, site["tenant"]) == []


def test_no_quote_possible_tells_the_buyer_why(app, api, tenant, two_sites):
    buyer_t = tenant("buyer")
    buyer = api(buyer_t)
    body = order_body(operations=[{"process_code": "injection_molding", "setup_minutes": 10, "run_minutes_per_unit": 1}])
    order = buyer.post("/api/v1/orders", json=body).get_json()
    wait_job(buyer, buyer.post(f"/api/v1/orders/{order['id']}/quotes").get_json()["id"])
    [note] = eventually(lambda: told(app, buyer_t, "quotes.none"))
    assert note["params"]["reason"] == "no_capacity" and "try a later due date" in note["body"]


def test_acceptance_tells_the_booked_factory_and_the_other_invited_one_learns_neither_winner_nor_price(app, world):
    rival_t = world.finish["tenant"]  # invited, but the single-operation quote books Mill Works only
    set_locale(app, rival_t, "zh_CN")
    oid = world.order(split=False)
    [booked] = told(app, world.mill["tenant"], "order.booked")
    assert booked["link"] == ("order", oid) and set(booked["params"]) == {"order", "start"}
    assert "Bracket" in booked["body"]
    [lost] = told(app, rival_t)[-1:]
    assert lost["kind"] == "order.awarded_elsewhere" and lost["params"] == {"order": "Bracket"}
    assert lost["title"] == "订单已授予"
    for secret in ("Mill Works", "1000", "100,000", "5000", "500000"):
        assert secret not in lost["body"] and secret not in booked["body"]
    assert "order.booked" not in kinds(app, rival_t)
    assert kinds(app, world.buyer_t) == ["payment.requested"]  # asked to pay, not told of its own acceptance
    assert kinds(app, world.operator_t) == []


def test_the_order_lifecycle_and_a_dispute_tell_buyer_factory_and_operator(app, world):
    oid = world.order(split=False)
    world.operator.post(f"/api/v1/orders/{oid}/payment/confirm", json={})
    world.move(oid, "in_production")
    world.move(oid, "shipped")
    assert [k for k in kinds(app, world.buyer_t) if k.startswith("order.")] == ["order.in_production", "order.shipped"]
    opened = world.buyer.post(f"/api/v1/orders/{oid}/disputes", json={"reason": "scratches", "qc_data": "Ra 3.2"})
    assert opened.status_code == 201, opened.get_json()
    assert kinds(app, world.operator_t) == ["dispute.opened"]
    assert kinds(app, world.mill["tenant"])[-1] == "dispute.opened"
    resolved = world.operator.post(f"/api/v1/orders/{oid}/disputes/resolve", json={"outcome": "released"})
    assert resolved.status_code == 200, resolved.get_json()
    assert kinds(app, world.buyer_t)[-1] == "dispute.resolved"
    [note] = told(app, world.mill["tenant"], "dispute.resolved")
    assert note["params"]["state"] == "delivered" and "Delivered" in note["body"]
    assert kinds(app, world.operator_t) == ["dispute.opened"]  # the operator resolved it
    finish_kinds = kinds(app, world.finish["tenant"])  # invited, not booked: told it was awarded, nothing after
    assert finish_kinds == ["quote.invited", "order.awarded_elsewhere"]


def test_a_cancelled_order_tells_the_booked_and_invited_factories(app, world):
    oid = world.order(split=True)
    world.move(oid, "cancelled")
    for site in (world.mill, world.finish):
        assert kinds(app, site["tenant"])[-1] == "order.cancelled"
    assert kinds(app, world.buyer_t) == ["payment.requested"]  # not told of its own cancellation


def test_a_message_tells_the_other_parties_of_the_thread_and_not_the_author(app, world, tenant, api):
    oid = world.order(split=False)
    outsider = tenant("factory", "Outsider")
    posted = world.mill["client"].post(f"/api/v1/orders/{oid}/messages", json={"body": "Material arrives Monday."})
    assert posted.status_code == 201, posted.get_json()
    [note] = told(app, world.buyer_t, "message.posted")
    assert note["params"] == {"order": "Bracket", "author": "Mill Works", "excerpt": "Material arrives Monday."}
    assert told(app, world.finish["tenant"], "message.posted")  # invited: reads the thread
    assert not told(app, world.mill["tenant"], "message.posted")
    assert not told(app, outsider, "message.posted") and not told(app, world.operator_t, "message.posted")


def test_a_replan_that_moves_the_work_tells_buyer_and_factory(app, twin_mills):
    import time

    assert twin_mills.shop.patch(f"/api/v1/machines/{twin_mills.mills[0]['id']}",
                                 json={"status": "maintenance"}).status_code == 200
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not told(app, twin_mills.owner, "replan.done"):
        time.sleep(0.2)
    [note] = told(app, twin_mills.owner, "replan.done")
    assert note["link"] == ("order", twin_mills.order["id"]) and "UTC" in note["params"]["ends"]
    assert [n["kind"] for n in told(app, twin_mills.buyer_tenant)][-1] == "replan.done"


def test_a_replan_that_cannot_move_the_work_tells_both_it_failed(app, api, tenant):
    """One mill only: when it stops, nothing can take its work."""
    import time
    from datetime import datetime, timedelta, timezone

    owner = tenant("factory", "Solo Mill")
    shop = api(owner)
    factory = shop.post("/api/v1/factories", json={**FACTORY, "name": "Solo Mill"}).get_json()
    start = (datetime.now(timezone.utc) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    mill = shop.post("/api/v1/machines", json={"factory_id": factory["id"], "name": "Only Mill",
                                               "processes": ["cnc_milling_3ax"]}).get_json()
    shop.post("/api/v1/capacity-windows", json={"machine_id": mill["id"], "start": start.isoformat(),
              "end": (start + timedelta(hours=10)).isoformat(), "pricing_mode": "per_hour", "price": 10000})
    buyer_t = tenant("buyer")
    buyer = api(buyer_t)
    order = buyer.post("/api/v1/orders", json=order_body(operations=[
        {"process_code": "cnc_milling_3ax", "setup_minutes": 30, "run_minutes_per_unit": 1}])).get_json()
    wait_job(buyer, buyer.post(f"/api/v1/orders/{order['id']}/quotes").get_json()["id"])
    quote = buyer.get(f"/api/v1/orders/{order['id']}/quotes").get_json()["items"][0]
    assert buyer.post(f"/api/v1/quotes/{quote['id']}/accept").status_code == 200
    assert shop.patch(f"/api/v1/machines/{mill['id']}", json={"status": "maintenance"}).status_code == 200
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not told(app, buyer_t, "replan.failed"):
        time.sleep(0.2)
    [note] = told(app, buyer_t, "replan.failed")
    assert "Only Mill" in note["params"]["operations"] and note["link"] == ("order", order["id"])
    assert [m["kind"] for m in mails(app, buyer_t)][-1] == "replan.failed"
    assert told(app, owner, "replan.failed")


def test_security_kinds_tell_the_user_or_the_owners_and_not_the_one_who_acted(app, client, tenant, api):
    from market.accounts import services

    owner_t = tenant("factory", "Secure Works")
    with app.app_context():
        member = services.add_member(owner_t.actor, email="new.member@example.test", name="New Member",
                                     set_password_url_for=lambda token: f"http://x/{token}")
        member_actor = services.actor_of_id(member.id)
        services.create_api_token(member_actor, name="ci", scope="read")
    # the owner added the member (not told of their own act); the member made a token: the owner is told
    owner_kinds = [n["kind"] for n in told(app, owner_t) if n["kind"].startswith("security.")]
    assert owner_kinds == ["security.token_created"]
    [note] = told(app, owner_t, "security.token_created")
    assert note["link"] == ("tokens", "") and note["params"]["name"] == "ci"


def test_a_password_reset_tells_its_user(app, client, tenant):
    import re

    from market.accounts import services
    from market.mail.models import OutboxEmail
    from market.db import unit_of_work

    user_t = tenant("buyer")
    with app.app_context():
        services.request_password_reset(user_t.email, lambda token: f"http://x/reset/{token}")
        with unit_of_work() as s:
            body = s.scalars(select(OutboxEmail.body).where(OutboxEmail.to_address == user_t.email)).all()[-1]
        token = re.search(r"/reset/(\S+)", body).group(1)
        services.reset_password(token, "another-horse-22")
    assert [n["kind"] for n in told(app, user_t)] == ["security.password_changed"]
    assert [m["kind"] for m in mails(app, user_t)] == ["security.password_changed"]


def test_a_failed_inspection_tells_the_buyer_and_the_factories_making_the_order(app, world):
    oid = world.order(split=True)
    world.operator.post(f"/api/v1/orders/{oid}/payment/confirm", json={})
    world.move(oid, "in_production")
    (lot,) = world.buyer.get(f"/api/v1/orders/{oid}/lots").get_json()["items"]
    mill = world.mill["client"]
    for step, body in (("start", {}), ("finish", {"good": lot["quantity"]})):
        assert mill.post(f"/api/v1/lots/{lot['id']}/operations/1/{step}", json=body).status_code == 200
    failed = mill.post(f"/api/v1/lots/{lot['id']}/qc", json={"result": "fail", "inspector": "QA", "operation_seq": 1})
    assert failed.status_code == 201, failed.get_json()
    [note] = told(app, world.buyer_t, "qc.failed")
    assert note["params"]["step"] == "#1" and note["params"]["lot"] == lot["trace_code"]
    assert told(app, world.finish["tenant"], "qc.failed")  # makes the next operations: told
    assert not told(app, world.mill["tenant"], "qc.failed")  # the inspector's own user recorded it
    assert not told(app, world.operator_t, "qc.failed")


def test_a_booked_factorys_subscribed_webhook_gets_the_booking_and_the_loser_none_and_no_price(app, world):
    """The notification fan-out also owes each recipient organization's subscribed endpoints
    the news, with the same params its members read: no price, no winner for the others."""
    from market.notifications.endpoints import create_endpoint
    from market.notifications.webhook_models import WebhookDelivery

    app.config.update(WEBHOOK_REQUIRE_HTTPS=False, WEBHOOK_ALLOW_PRIVATE_NETWORKS=True, WEBHOOK_DISPATCH="sweep")
    with app.app_context():
        for site, kind in ((world.mill, "order.booked"), (world.finish, "order.booked")):
            create_endpoint(site["tenant"].actor, url="http://127.0.0.1:9/hook", kinds=[kind])
    oid = world.order(split=False)
    with app.app_context():
        from market.db import unit_of_work

        with unit_of_work() as s:
            deliveries = s.scalars(select(WebhookDelivery)).all()
    [booked] = deliveries  # the rival subscribed to bookings, but was not booked
    assert booked.kind == "order.booked" and booked.body["type"] == "order.booked"
    data = booked.body["data"]
    assert data["object"] == {"type": "order", "id": oid} and data["links"]["self"].endswith(f"/orders/{oid}")
    assert set(data["params"]) == {"order", "start"} and "Bracket" in data["summary"]
    for secret in ("1000", "100,000", "5000", "500000"):
        assert secret not in str(booked.body)
