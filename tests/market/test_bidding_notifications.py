"""Who hears of a bid's steps (catalogue group "bidding"): the buyer of what factories do, the
factory of what the buyer does; a losing bidder only that the order went elsewhere."""
from datetime import timedelta

from tests.market.notify_helpers import kinds, set_locale, told
from tests.market.test_bidding import bid_body, iso, market  # noqa: F401  (fixture)


def test_the_buyer_hears_of_bids_and_answers_and_the_factory_of_counters(app, market):
    m = market
    set_locale(app, m.alpha.tenant, "zh_CN")
    bid = m.alpha.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body(price_minor=777777)).get_json()
    [new] = told(app, m.buyer_tenant, "bid.submitted")
    assert new["link"] == ("bid", bid["id"]) and new["params"] == {"order": "Bracket", "factory": "Alpha Works"}
    assert "7777" not in new["body"]
    m.buyer.post(f"/api/v1/bids/{bid['id']}/counter", json={"price_minor": 666666})
    [countered] = told(app, m.alpha.tenant, "bid.countered")
    assert countered["params"] == {"order": "Bracket"} and "6666" not in countered["body"]
    assert countered["title"] == "您的投标收到还价"
    m.alpha.client.post(f"/api/v1/bids/{bid['id']}/counter/accept")
    assert [n["kind"] for n in told(app, m.buyer_tenant)][-1] == "bid.counter_accepted"
    assert m.buyer.post(f"/api/v1/bids/{bid['id']}/accept").status_code == 200
    assert "bid.accepted" in kinds(app, m.alpha.tenant)
    assert "bid.countered" not in kinds(app, m.buyer_tenant)  # nobody is told of their own step
    assert "bid.submitted" not in kinds(app, m.alpha.tenant)


def test_a_losing_bidder_learns_only_that_the_order_went_elsewhere(app, market):
    m = market
    winner = m.alpha.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body(price_minor=123456)).get_json()
    m.beta.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body(price_minor=234567))
    assert m.buyer.post(f"/api/v1/bids/{winner['id']}/accept").status_code == 200
    [lost] = told(app, m.beta.tenant, "bid.lost")
    assert lost["params"] == {"order": "Bracket"}
    for secret in ("Alpha", "123456", "1,234.56", "500000"):
        assert secret not in lost["body"] and secret not in lost["title"]
    assert "bid.accepted" not in kinds(app, m.beta.tenant)
    # Alpha was invited: it hears of the booking, not of a lost bid
    assert "bid.lost" not in kinds(app, m.alpha.tenant) and "order.booked" in kinds(app, m.alpha.tenant)


def test_withdrawal_and_decline_tell_the_other_party(app, market):
    m = market
    a = m.alpha.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body()).get_json()
    b = m.beta.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body(promised_at=iso(timedelta(days=9))))
    m.alpha.client.post(f"/api/v1/bids/{a['id']}/withdraw", json={})
    assert "bid.withdrawn" in kinds(app, m.buyer_tenant)
    m.buyer.post(f"/api/v1/bids/{b.get_json()['id']}/decline", json={"note": "no"})
    assert "bid.rejected" in kinds(app, m.beta.tenant)


def test_a_cancelled_order_closes_its_bids_and_tells_the_uninvited_bidder(app, market):
    m = market
    a = m.alpha.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body()).get_json()
    b = m.beta.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body()).get_json()
    moved = m.buyer.post(f"/api/v1/orders/{m.order['id']}/transitions", json={"to": "cancelled"})
    assert moved.status_code == 200, moved.get_json()
    for client, bid in ((m.alpha.client, a), (m.beta.client, b)):
        assert client.get(f"/api/v1/bids/{bid['id']}").get_json()["status"] == "closed"
    assert "bid.closed" in kinds(app, m.beta.tenant)
    assert "bid.closed" not in kinds(app, m.alpha.tenant) and "order.cancelled" in kinds(app, m.alpha.tenant)
