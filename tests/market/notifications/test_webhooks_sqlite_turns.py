"""SQLite has one write lock and an unfair busy handler: a fan-out committing outbox batch
after batch kept it while the webhook sender slept and retried (p99 commit -> webhook of
159 s under continuous publishing in bench/webhook_fanout.py). The background writers now
take turns through a FIFO lock (market.db.sqlite_writer): the sender records its results
between two batches, however long the publishing goes on. Progress is counted in publishing
rounds, not seconds, so a slow machine does not change the verdict."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from market import bus
from market.db import FairLock, unit_of_work
from market.notifications.webhook_models import WebhookDelivery
from market.notifications.webhooks import deliver_webhook

ROUNDS = 40
PER_ROUND = 25  # events per business transaction: one outbox batch each


@dataclass(frozen=True)
class Shipped:
    n: int
    organization_id: int


def owe_webhook(event: Shipped) -> None:
    with unit_of_work() as s:
        deliver_webhook(s, event.organization_id, "order.shipped", {"lot": {"id": f"lot-{event.n}"}},
                        event_id=f"evt_turns_{event.n}")
        s.commit()


def test_a_fair_lock_serves_in_the_order_asked_and_a_releasing_thread_queues_behind():
    lock, order = FairLock(), []
    lock.acquire()
    lock.acquire()  # reentrant

    def take(name):
        lock.acquire()
        order.append(name)
        lock.release()

    threads = []
    for n, name in enumerate(("first", "second"), start=1):
        threads.append(threading.Thread(target=take, args=(name,)))
        threads[-1].start()
        while lock.waiting() < n:  # queued before the next one asks
            time.sleep(0.001)
    lock.release()
    assert order == []  # still held once
    lock.release()
    take("again")  # the former holder asks again at once: it comes after those who waited
    for thread in threads:
        thread.join()
    assert order == ["first", "second", "again"]
    with pytest.raises(RuntimeError):
        lock.release()


def test_under_continuous_publishing_the_sender_delivers_within_a_few_rounds(app, hooks, owner, receiver, api):
    if app.extensions["db"].engine.dialect.name != "sqlite":
        pytest.skip("the SQLite write lock")
    assert api(owner).post("/api/v1/webhooks", json={"url": receiver.url, "kinds": ["order.shipped"]}).status_code == 201
    app.extensions["bus"].after_commit(Shipped, owe_webhook)
    app.config.update(WEBHOOK_DISPATCH="background", EVENTS_INLINE=True)
    delivered_by_round = []
    with app.app_context():
        for r in range(ROUNDS):
            with unit_of_work() as s:
                bus.publish(s, *(Shipped(r * PER_ROUND + i, owner.actor.org_id) for i in range(PER_ROUND)))
                s.commit()  # the batch runs now, inline; its webhooks go to the background sender
            with unit_of_work() as s:
                delivered_by_round.append(s.scalar(select(func.count()).select_from(WebhookDelivery)
                                                   .where(WebhookDelivery.status == "delivered")))
        # the sender gets its turns while publishing goes on: in every stretch of 5 rounds
        # (5 batches of the publisher) it recorded deliveries; starved, it recorded none until
        # publishing stopped
        stuck = [r for r in range(3, ROUNDS - 5) if delivered_by_round[r + 5] <= delivered_by_round[r]]
        assert not stuck, delivered_by_round
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and delivered_by_round[-1] < ROUNDS * PER_ROUND:
            time.sleep(0.1)
            with unit_of_work() as s:
                delivered_by_round[-1] = s.scalar(select(func.count()).select_from(WebhookDelivery)
                                                  .where(WebhookDelivery.status == "delivered"))
    assert delivered_by_round[-1] == ROUNDS * PER_ROUND
