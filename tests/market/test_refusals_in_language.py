"""Refusals of the order and quote services read in the page's language on the portal (they
were English on zh-CN pages), while the API keeps its English problem details."""
import html

import pytest

from tests.conftest import order_body


def _portal(app, email, language):
    client = app.test_client()
    headers = {"Accept-Language": language}
    assert client.post("/login", data={"email": email, "password": "correct-horse-1"}, headers=headers).status_code == 302
    return client, headers


@pytest.mark.parametrize("language, accepted_only_by_quote, no_quotes_now", [
    ("zh-CN", "接受其中一个报价后，订单才会变为已确认。", "只为已发布的订单报价；该订单状态为已取消。"),
    ("en", "An order becomes Accepted when you accept one of its quotes.",
     "Quotes are made for open orders; this one is Cancelled."),
])
def test_order_and_quote_refusals_read_in_the_pages_language(app, api, tenant, language, accepted_only_by_quote,
                                                             no_quotes_now):
    owner = tenant("buyer")
    buyer, operator = api(owner), api(tenant("operator"))
    order = buyer.post("/api/v1/orders", json=order_body()).get_json()
    assert operator.post(f"/api/v1/orders/{order['id']}/transitions", json={"to": "quoted"}).status_code == 200
    web, headers = _portal(app, owner.email, language)

    moved = web.post(f"/orders/{order['id']}/transition", data={"to": "accepted"}, headers=headers, follow_redirects=True)
    assert accepted_only_by_quote in html.unescape(moved.get_data(as_text=True))

    web.post(f"/orders/{order['id']}/transition", data={"to": "cancelled"}, headers=headers)
    asked = web.post(f"/orders/{order['id']}/quotes", data={}, headers=headers, follow_redirects=True)
    assert no_quotes_now in html.unescape(asked.get_data(as_text=True))

    api_answer = buyer.post(f"/api/v1/orders/{order['id']}/quotes", headers={"Accept-Language": "zh-CN"}).get_json()
    assert api_answer["detail"] == "quotes are made for open orders; this one is cancelled"  # the API: English, exact
