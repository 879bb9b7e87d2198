"""Bids lapse: the periodic expire_bids marks a live bid whose validity ended as expired, puts
its quote.bid_expired step on the ledger and tells the factory; on an injected clock."""
import json
import uuid
from datetime import datetime, timedelta

import pytest

from tests.market.notify_helpers import set_locale, told
from tests.market.test_bidding import bid_body, iso, market  # noqa: F401  (fixture)


def _ledger_types(app, bid_id):
    from sqlalchemy import select

    from market.bidding.models import Bid, BidStep
    from market.db import unit_of_work
    from market.journal.ledger import get_ledger

    with app.app_context(), unit_of_work() as s:
        bid = s.scalar(select(Bid).where(Bid.public_id == uuid.UUID(bid_id)))
        indices = s.scalars(select(BidStep.ledger_index).where(BidStep.bid_id == bid.id).order_by(BidStep.id))
        return [json.loads(get_ledger().store.entry(s.connection(), i))["event"]["type"] for i in indices]


def _expire(app, now):
    from market.bidding.expiry import expire_bids

    with app.app_context():
        return expire_bids(now)


def test_a_lapsed_bid_expires_on_the_ledger_and_its_factory_is_told(app, market):
    m = market
    set_locale(app, m.alpha.tenant, "zh_CN")
    lapses = datetime.fromisoformat(iso(timedelta(days=2)))
    alpha = m.alpha.client.post(f"/api/v1/orders/{m.order['id']}/bids",
                                json=bid_body(expires_at=lapses.isoformat())).get_json()
    beta = m.beta.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body()).get_json()  # valid 5 days
    m.buyer.post(f"/api/v1/bids/{alpha['id']}/counter", json={"price_minor": 140000})  # live: countered
    assert _expire(app, lapses - timedelta(seconds=1)) == 0  # still valid: nothing moves
    assert _expire(app, lapses) == 1
    shown = m.buyer.get(f"/api/v1/bids/{alpha['id']}").get_json()
    assert shown["status"] == "expired" and shown["steps"][-1]["kind"] == "expired"
    assert m.buyer.get(f"/api/v1/bids/{beta['id']}").get_json()["status"] == "open"
    assert _ledger_types(app, alpha["id"]) == ["quote.bid_submitted", "quote.bid_countered", "quote.bid_expired"]
    [note] = told(app, m.alpha.tenant, "bid.expired")
    assert note["title"] == "投标已过期" and note["link"] == ("bid", alpha["id"])
    assert "140000" not in note["body"] and "1,400" not in note["body"]
    assert not told(app, m.beta.tenant, "bid.expired")
    # twice is once; an expired bid takes no more steps
    assert _expire(app, lapses + timedelta(hours=1)) == 0
    assert len(told(app, m.alpha.tenant, "bid.expired")) == 1
    refused = m.buyer.post(f"/api/v1/bids/{alpha['id']}/accept")
    assert refused.status_code == 409 and "bid" in refused.get_json()["errors"]
    # the factory may bid again on the still-open order
    again = m.alpha.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body())
    assert again.status_code == 201, again.get_json()


def test_expire_bids_is_a_periodic_task_with_its_interval_setting(app):
    from market.ops import periodic

    task = periodic.TASKS["expire_bids"]
    assert task.every_key == "BID_EXPIRY_EVERY_S" and app.config["BID_EXPIRY_EVERY_S"] == 300
    assert periodic.intervals(app.config)["expire_bids"] == 300
    with app.app_context():
        assert periodic.run("expire_bids") == {"expired": 0}


@pytest.mark.postgres_only
def test_two_concurrent_sweeps_expire_a_bid_once(app, market):
    import threading

    m = market
    lapses = datetime.fromisoformat(iso(timedelta(days=2)))
    bid = m.alpha.client.post(f"/api/v1/orders/{m.order['id']}/bids",
                              json=bid_body(expires_at=lapses.isoformat())).get_json()
    counts, barrier = [], threading.Barrier(2)

    def sweep():
        barrier.wait()
        counts.append(_expire(app, lapses))

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(counts) == [0, 1]
    assert _ledger_types(app, bid["id"]).count("quote.bid_expired") == 1
