"""A delivery's body is encoded once, when it is owed, and sent as stored on every attempt;
a sender process (sender.follow) sends what is due until it is stopped."""
from __future__ import annotations

import threading
import time

from sqlalchemy import Text, cast, select
from standardwebhooks.webhooks import Webhook

from market.db import unit_of_work
from market.notifications.webhook_models import WebhookDelivery


def add_endpoint(api, owner, url) -> dict:
    answer = api(owner).post("/api/v1/webhooks", json={"url": url, "kinds": ["order.shipped"]})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_the_body_sent_is_the_text_stored_when_the_delivery_was_owed(app, api, owner, receiver, tell, sweep, t0):
    endpoint = add_endpoint(api, owner, receiver.url + "/hooks")
    [delivery_id] = tell(owner.actor.org_id, "order.shipped", {"order": {"id": "ord-1", "title": "法兰盘"}},
                         event_id="evt_text")
    with app.app_context(), unit_of_work() as s:
        stored = s.scalar(select(cast(WebhookDelivery.body, Text)).where(WebhookDelivery.id == delivery_id))
    assert '"title":"法兰盘"' in stored  # compact, not \u-escaped: the bytes we sign and send

    sweep(t0)
    [request] = receiver.requests
    assert request.body == stored.encode()
    assert Webhook(endpoint["secret"]).verify(request.body, request.headers)["data"]["order"]["title"] == "法兰盘"


def test_a_sender_process_loop_sends_what_is_due_until_stopped(app, api, owner, receiver, tell):
    from market.notifications import sender

    add_endpoint(api, owner, receiver.url + "/hooks")
    stop = threading.Event()

    def run():
        with app.app_context():
            sender.follow(0.01, stop=stop)

    loop = threading.Thread(target=run)
    loop.start()
    try:
        for n in range(3):
            tell(owner.actor.org_id, "order.shipped", {"lot": {"id": f"lot-{n}"}}, event_id=f"evt_follow_{n}")
        deadline = time.monotonic() + 30
        while len(receiver.requests) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        loop.join(10)
    assert sorted(receiver.ids()) == ["evt_follow_0", "evt_follow_1", "evt_follow_2"]
    with app.app_context(), unit_of_work() as s:
        assert set(s.scalars(select(WebhookDelivery.status))) == {"delivered"}
