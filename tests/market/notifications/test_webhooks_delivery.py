"""Webhook deliveries: signed per Standard Webhooks, retried, idempotent, logged, disabled."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from market.db import unit_of_work
from market.notifications.webhook_models import WebhookDelivery, WebhookEndpoint


def add_endpoint(api, owner, url, kinds=("order.booked", "order.shipped"), **extra) -> dict:
    answer = api(owner).post("/api/v1/webhooks", json={"url": url, "kinds": list(kinds), **extra})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_a_receiver_verifies_our_signature_with_the_official_library(api, owner, receiver, tell, sweep, t0):
    endpoint = add_endpoint(api, owner, receiver.url + "/hooks")
    assert endpoint["secret"].startswith("whsec_")
    tell(owner.actor.org_id, "order.booked", {"order": {"id": "ord-7"}, "links": {"self": "https://m.example/o/7"}},
         event_id="evt_one")

    assert sweep(t0) == {"delivered": 1, "purged": 0}
    [request] = receiver.requests
    payload = Webhook(endpoint["secret"]).verify(request.body, request.headers)
    assert payload == {"id": "evt_one", "type": "order.booked", "timestamp": payload["timestamp"],
                       "data": {"order": {"id": "ord-7"}, "links": {"self": "https://m.example/o/7"}}}
    assert request.headers["webhook-id"] == "evt_one"
    assert request.headers["webhook-signature"].startswith("v1,")
    # a forged body fails the same check
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint["secret"]).verify(request.body.replace(b"ord-7", b"ord-8"), request.headers)


def test_only_subscribed_endpoints_of_the_organization_are_told(api, owner, tenant, receiver, tell, sweep, t0):
    add_endpoint(api, owner, receiver.url + "/mine", kinds=["order.shipped"])
    other = tenant("buyer", "Someone Else")
    add_endpoint(api, other, receiver.url + "/theirs", kinds=["order.booked"])

    assert tell(owner.actor.org_id, "order.booked") == []  # nobody of owner's subscribed to it
    tell(owner.actor.org_id, "order.shipped")
    sweep(t0)
    assert [r.path for r in receiver.requests] == ["/mine"]


def test_telling_an_endpoint_of_the_same_event_twice_is_one_delivery(api, owner, receiver, tell, sweep, t0):
    add_endpoint(api, owner, receiver.url)
    assert len(tell(owner.actor.org_id, "order.shipped", event_id="evt_same")) == 1
    assert tell(owner.actor.org_id, "order.shipped", event_id="evt_same") == []
    sweep(t0)
    sweep(t0 + timedelta(hours=30))
    assert receiver.ids() == ["evt_same"]


def test_a_receiver_that_fails_three_times_then_recovers_gets_each_event_exactly_once_more(
        api, owner, receiver, tell, sweep, t0, hooks):
    add_endpoint(api, owner, receiver.url)
    receiver.fail_first = 3
    tell(owner.actor.org_id, "order.shipped", event_id="evt_a")
    tell(owner.actor.org_id, "order.booked", event_id="evt_b")

    assert sweep(t0)["pending"] == 2  # 1st attempt: 500
    assert sweep(t0 + timedelta(seconds=4)) == {"purged": 0}  # back-off: nothing due yet
    assert sweep(t0 + timedelta(seconds=5))["pending"] == 2  # 2nd: 500
    assert sweep(t0 + timedelta(seconds=65))["pending"] == 2  # 3rd: 500
    assert sweep(t0 + timedelta(seconds=364)) == {"purged": 0}
    assert sweep(t0 + timedelta(seconds=365))["delivered"] == 2  # 4th: recovered
    for later in (1, 5, 30):
        sweep(t0 + timedelta(hours=later))

    assert receiver.seen == {"evt_a": 4, "evt_b": 4}
    assert sorted(r.headers["webhook-id"] for r in receiver.requests[-2:]) == ["evt_a", "evt_b"]  # the 200s
    with hooks.app_context(), unit_of_work() as s:
        rows = s.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
        assert [(d.status, d.attempts, d.last_status_code) for d in rows] == [("delivered", 4, 200)] * 2


def test_a_replayed_delivery_is_recognised_by_its_id_and_an_old_one_by_its_timestamp(
        api, owner, receiver, tell, sweep, t0, hooks):
    from market.notifications import signing

    endpoint = add_endpoint(api, owner, receiver.url)
    tell(owner.actor.org_id, "order.shipped", event_id="evt_replay")
    sweep(t0)
    deliveries = api(owner).get(f"/api/v1/webhooks/{endpoint['id']}/deliveries").get_json()["items"]
    assert api(owner).post(f"/api/v1/webhook-deliveries/{deliveries[0]['id']}/redeliver").status_code == 202
    sweep(t0 + timedelta(seconds=1))
    first, again = receiver.requests
    # the same message: a receiver keeping the ids it processed sees it is a repeat
    assert first.headers["webhook-id"] == again.headers["webhook-id"] == "evt_replay"
    assert first.body == again.body
    Webhook(endpoint["secret"]).verify(again.body, again.headers)
    # an attacker replaying a captured request later fails the timestamp check (5 min)
    old = signing.standard_headers(endpoint["secret"], "evt_replay", t0 - timedelta(minutes=6), first.body.decode())
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint["secret"]).verify(first.body, old)


def test_the_delivery_log_shows_attempts_codes_durations_and_the_answer(api, owner, receiver, tell, sweep, t0):
    endpoint = add_endpoint(api, owner, receiver.url)
    receiver.fail_first, receiver.answer = 1, b'{"error": "busy"}' + b"x" * 5000
    tell(owner.actor.org_id, "order.shipped", event_id="evt_log")
    sweep(t0)
    sweep(t0 + timedelta(seconds=5))
    [delivery] = api(owner).get(f"/api/v1/webhooks/{endpoint['id']}/deliveries").get_json()["items"]
    assert delivery["status"] == "delivered" and delivery["event_id"] == "evt_log"
    assert [(a["ok"], a["status_code"]) for a in delivery["attempts"]] == [(False, 500), (True, 200)]
    assert all(a["duration_ms"] >= 0 for a in delivery["attempts"])
    assert delivery["attempts"][0]["response_body"].startswith('{"error": "busy"}')
    assert len(delivery["attempts"][0]["response_body"]) <= 1024


def test_an_endpoint_failing_for_a_day_is_disabled_and_its_owners_are_told(
        api, owner, receiver, tell, sweep, t0, hooks):
    from market.notifications.domain_events import WebhookEndpointDisabled

    told = []
    hooks.extensions["bus"].after_commit(WebhookEndpointDisabled, told.append)
    endpoint = add_endpoint(api, owner, receiver.url)
    receiver.status = 503
    tell(owner.actor.org_id, "order.shipped", event_id="evt_dead")
    moment = t0
    for wait in [0] + hooks.config["WEBHOOK_RETRY_SCHEDULE_S"]:
        moment += timedelta(seconds=wait)
        sweep(moment)
    assert receiver.seen["evt_dead"] == len(hooks.config["WEBHOOK_RETRY_SCHEDULE_S"]) + 1
    assert moment - t0 > timedelta(hours=20)
    state = api(owner).get(f"/api/v1/webhooks/{endpoint['id']}").get_json()
    assert state["status"] == "disabled" and "503" in state["disabled_reason"]
    assert [(e.endpoint_id, e.organization_id) for e in told] == [(endpoint["id"], owner.actor.org_id)]
    from tests.market.notify_helpers import mails, told as notes

    [note] = notes(hooks, owner, "webhook.disabled")  # the owners: in-app and by mail
    assert note["link"] == ("webhook", endpoint["id"]) and receiver.url in note["body"] and "503" in note["body"]
    assert [m["kind"] for m in mails(hooks, owner)] == ["webhook.disabled"]
    # disabled: new events are not owed to it; enabling it again starts afresh
    assert tell(owner.actor.org_id, "order.shipped") == []
    assert api(owner).patch(f"/api/v1/webhooks/{endpoint['id']}", json={"status": "active"}).status_code == 200
    receiver.status = 200
    assert len(tell(owner.actor.org_id, "order.shipped", event_id="evt_alive")) == 1
    sweep(moment + timedelta(seconds=1))
    assert receiver.seen["evt_alive"] == 1


def test_a_host_that_turns_private_after_it_was_saved_is_refused_at_send_time(
        api, owner, receiver, tell, sweep, t0, hooks):
    endpoint = add_endpoint(api, owner, receiver.url)
    hooks.config["WEBHOOK_ALLOWED_HOSTS"] = []  # as if its DNS now answered 127.0.0.1 (rebinding)
    tell(owner.actor.org_id, "order.shipped", event_id="evt_rebind")
    sweep(t0)
    assert receiver.requests == []
    [delivery] = api(owner).get(f"/api/v1/webhooks/{endpoint['id']}/deliveries").get_json()["items"]
    assert delivery["status"] == "pending" and "refused" in delivery["attempts"][0]["error"]


def test_a_slow_receiver_never_holds_a_web_request(api, owner, receiver, hooks):
    import time

    endpoint = add_endpoint(api, owner, receiver.url)
    hooks.config.update(WEBHOOK_DISPATCH="background", WEBHOOK_TIMEOUT_S=1.0)
    receiver.delay_s = 30
    started = time.monotonic()
    answer = api(owner).post(f"/api/v1/webhooks/{endpoint['id']}/test")
    assert answer.status_code == 202
    assert time.monotonic() - started < 1.0  # the request answered; the sender waits alone
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        [delivery] = api(owner).get(f"/api/v1/webhooks/{endpoint['id']}/deliveries").get_json()["items"]
        if delivery["attempts"]:
            break
        time.sleep(0.1)
    assert "timeout" in delivery["attempts"][0]["error"] and delivery["attempts"][0]["duration_ms"] < 3000
    assert delivery["status"] == "pending"  # retried later


def test_with_the_broker_down_deliveries_go_out_from_the_web_process(api, owner, receiver, tell, hooks):
    import time

    add_endpoint(api, owner, receiver.url)
    hooks.config.update(WEBHOOK_DISPATCH="background", CELERY_BROKER_URL="redis://127.0.0.1:6399/0", BROKER_TIMEOUT_S=1)
    started = time.monotonic()
    tell(owner.actor.org_id, "order.shipped", event_id="evt_nobroker")
    assert time.monotonic() - started < 5  # the broker's timeout is bounded; the sender thread takes over
    deadline = time.monotonic() + 15
    while not receiver.requests and time.monotonic() < deadline:
        time.sleep(0.05)
    assert receiver.ids() == ["evt_nobroker"]


def test_the_delivery_log_never_shows_an_attempt_its_delivery_does_not_know_of(
        api, owner, receiver, tell, sweep, t0, hooks):
    """The log is read while a sender records an attempt: it shows the delivery before the
    attempt or after it, never the attempt next to the status it had before (read skew: each
    statement of a READ COMMITTED transaction, and each of SQLite's autocommit reads, sees the
    database as it is when it starts)."""
    import threading

    from sqlalchemy import event

    endpoint = add_endpoint(api, owner, receiver.url)
    tell(owner.actor.org_id, "order.shipped", event_id="evt_skew")
    engine = hooks.extensions["db"].engine
    swept = []

    def a_sender_records_meanwhile(conn, cursor, statement, *args):
        if "webhook_attempts" in statement and not swept and threading.current_thread() is main:
            sender = threading.Thread(target=lambda: swept.append(sweep(t0)))
            sender.start()
            sender.join(30)

    main = threading.current_thread()
    event.listen(engine, "before_cursor_execute", a_sender_records_meanwhile)
    try:
        [delivery] = api(owner).get(f"/api/v1/webhooks/{endpoint['id']}/deliveries").get_json()["items"]
    finally:
        event.remove(engine, "before_cursor_execute", a_sender_records_meanwhile)
    assert swept and swept[0]["delivered"] == 1 and receiver.ids() == ["evt_skew"]
    seen = (delivery["status"], [a["ok"] for a in delivery["attempts"]])
    assert seen in [("pending", []), ("delivered", [True])]
