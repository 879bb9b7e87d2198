"""The bid thread in the portal, in English and Chinese: a factory bids from the board, the
buyer compares and counters, the factory accepts the counter, the buyer accepts the bid.
A refused form comes back with the field's message; another factory's bid is not found."""
import re

import pytest

from tests.conftest import portal_day
from tests.market.test_bidding import bid_body, market  # noqa: F401  (fixture)


def _portal(app, who, lang: str):
    client = app.test_client()
    assert client.post("/login", data={"email": who.email, "password": "correct-horse-1"}).status_code == 302
    client.post(f"/lang/{lang}")
    return client


@pytest.mark.parametrize("lang, words", [
    ("en", {"bid": "Bid on this order", "send": "Send the bid", "accept": "Accept this bid", "counter": "The buyer counters",
            "history": "counter-offer accepted", "offers": "Compare quotes and bids"}),
    ("zh_CN", {"bid": "对此订单投标", "send": "提交投标", "accept": "接受此投标", "counter": "买方还价",
               "history": "接受还价", "offers": "比较报价与投标"}),
])
def test_bid_counter_and_acceptance_through_the_portal(app, market, lang, words):
    m = market
    factory = _portal(app, m.beta.tenant, lang)  # Beta finds the order on the board
    buyer = _portal(app, m.buyer_tenant, lang)
    board = factory.get(f"/board/{m.order['id']}").get_data(as_text=True)
    assert words["bid"] in board
    form = factory.get(f"/orders/{m.order['id']}/bid").get_data(as_text=True)
    assert words["send"] in form and "5,000.00" not in form and "500000" not in form  # no budget
    sent = factory.post(f"/orders/{m.order['id']}/bid", data={
        "price_basis": "order", "price": "1,500.00", "promised_at": portal_day(12), "expires_at": portal_day(6),
        "conditions": "FOB Suzhou"})
    assert sent.status_code == 302, sent.get_data(as_text=True)
    bid_url = sent.headers["Location"]
    bid_id = bid_url.rsplit("/", 1)[-1]
    # the revise form starts from the standing terms; a revision is the next step of the thread
    assert 'value="1500.00"' in factory.get(bid_url).get_data(as_text=True)
    revised = factory.post(f"{bid_url}/revise", data={"price_basis": "order", "price": "1,450.00",
                                                      "promised_at": portal_day(12), "expires_at": portal_day(6)})
    assert revised.status_code == 302
    refused = factory.post(f"{bid_url}/revise", data={"price_basis": "order", "price": "-3",
                                                      "promised_at": portal_day(12), "expires_at": portal_day(6)})
    assert refused.status_code == 422 and 'data-error-for="price_minor"' in refused.get_data(as_text=True)

    order_page = buyer.get(f"/orders/{m.order['id']}").get_data(as_text=True)
    assert words["offers"] in order_page
    offers = buyer.get(f"/orders/{m.order['id']}/offers").get_data(as_text=True)
    assert f'data-id="{bid_id}"' in offers and "Beta Works" in offers and "1,450.00" in offers
    page = buyer.get(bid_url).get_data(as_text=True)
    assert words["accept"] in page and "FOB Suzhou" in page
    assert buyer.post(f"{bid_url}/counter", data={"price": "1,200.00", "note": "please"}).status_code == 302
    page = factory.get(bid_url).get_data(as_text=True)
    assert words["counter"] in page and "1,200.00" in page
    assert factory.post(f"{bid_url}/counter/accept").status_code == 302
    accepted = buyer.post(f"{bid_url}/accept")
    assert accepted.status_code == 302 and f"/orders/{m.order['id']}" in accepted.headers["Location"]
    page = factory.get(bid_url).get_data(as_text=True)
    assert words["history"] in page
    assert [k for k in re.findall(r'data-kind="(\w+)"', page)] == ["submitted", "revised", "countered",
                                                                   "counter_accepted", "accepted"]
    assert m.buyer.get(f"/api/v1/orders/{m.order['id']}").get_json()["state"] == "accepted"


@pytest.mark.parametrize("wrong, field", [
    ({"price": "-1"}, "price_minor"),
    ({"price": "100000000000.01"}, "price_minor"),
    ({"price": "12.345"}, "price_minor"),
    ({"promised_at": "2031-02-30"}, "promised_at"),
    ({"expires_at": portal_day(-2)}, "expires_at"),
    ({"price_basis": "operation", "op-1-price": ""}, "operation_prices"),
])
def test_a_refused_bid_form_names_the_field_and_writes_nothing(app, market, wrong, field):
    factory = _portal(app, market.alpha.tenant, "en")
    data = {"price_basis": "order", "price": "1500", "promised_at": portal_day(12), "expires_at": portal_day(6), **wrong}
    response = factory.post(f"/orders/{market.order['id']}/bid", data=data)
    assert response.status_code == 422
    assert f'data-error-for="{field}"' in response.get_data(as_text=True)
    assert factory.get("/api/v1/bids", headers={"Authorization": f"Bearer {market.alpha.tenant.token}"}).get_json()["items"] == []


def test_another_factory_cannot_open_a_bid_page_or_its_documents(app, market):
    m = market
    bid = m.alpha.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body()).get_json()
    beta = _portal(app, m.beta.tenant, "en")
    for url in (f"/bids/{bid['id']}", ):
        assert beta.get(url).status_code == 404
    for action in ("withdraw", "revise", "counter", "decline", "accept", "counter/accept"):
        assert beta.post(f"/bids/{bid['id']}/{action}", data={"price": "1"}).status_code == 404
    assert bid["id"] not in beta.get("/bids").get_data(as_text=True)
    assert beta.get(f"/orders/{m.order['id']}/offers").status_code == 404


@pytest.mark.parametrize("lang, yours", [("en", "Your counter: ¥1,200.00"), ("zh_CN", "您的还价：¥1,200.00")])
def test_the_offers_page_shows_the_buyers_standing_counter_beside_the_bid(app, market, lang, yours):
    m = market
    bid = m.beta.client.post(f"/api/v1/orders/{m.order['id']}/bids", json=bid_body()).get_json()
    buyer = _portal(app, m.buyer_tenant, lang)
    before = buyer.get(f"/orders/{m.order['id']}/offers").get_data(as_text=True)
    assert "counter-terms" not in before  # nothing countered yet
    assert m.buyer.post(f"/api/v1/bids/{bid['id']}/counter", json={"price_minor": 120000}).status_code == 200
    offers = buyer.get(f"/orders/{m.order['id']}/offers").get_data(as_text=True)
    assert yours in offers and "1,500.00" in offers  # the factory's terms and what the buyer asked
    assert m.beta.client.post(f"/api/v1/bids/{bid['id']}/counter/accept").status_code == 200
    assert "counter-terms" not in buyer.get(f"/orders/{m.order['id']}/offers").get_data(as_text=True)
