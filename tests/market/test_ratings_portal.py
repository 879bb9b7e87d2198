"""Portal: the buyer rates its delivered order from the order page; the rating shows on each
factory's public profile (to anyone, anonymously unless the buyer chose otherwise), in English
and Chinese; the factory answers there once; bad form input comes back with the form, not a 500."""
import html

import pytest

from tests.market.test_production import accepted  # noqa: F401  (fixture)
from tests.market.test_ratings import delivered  # noqa: F401  (fixture)


def _login(app, email, language):
    client = app.test_client()
    headers = {"Accept-Language": language}
    r = client.post("/login", data={"email": email, "password": "correct-horse-1"}, headers=headers)
    assert r.status_code == 302
    return client, headers


@pytest.mark.parametrize("language, words", [
    ("en", {"form": "Rate this order", "thanks": "Thank you. Your rating is on the factory", "anon": "A verified buyer",
            "already": "This order has already been rated.", "ratings": "Buyers’ ratings", "stars": "Give 1 to 5 stars."}),
    ("zh-CN", {"form": "评价此订单", "thanks": "感谢您的评价", "anon": "一位已验证的买方",
               "already": "该订单已经评价过。", "ratings": "买方评价", "stars": "请给出 1 到 5 星。"}),
])
def test_a_buyer_rates_from_the_order_page_and_everyone_reads_it_on_the_profile(delivered, app, language, words):  # noqa: F811
    buyer, mill, _finish, order, factories = delivered
    web, headers = _login(app, buyer.email, language)
    page = web.get(f"/orders/{order['id']}", headers=headers).get_data(as_text=True)
    assert words["form"] in page and 'id="submit-rating"' in page

    bad = web.post(f"/orders/{order['id']}/rating", data={"stars": "9", "comment": "x"}, headers=headers)
    assert bad.status_code == 422 and words["form"] in bad.get_data(as_text=True)  # still unrated, form shown again
    assert words["stars"] in html.unescape(bad.get_data(as_text=True))

    done = web.post(f"/orders/{order['id']}/rating", data={"stars": "5", "comment": "Clean <b>bores</b>"},
                    headers=headers, follow_redirects=True)
    text = html.unescape(done.get_data(as_text=True))
    assert words["thanks"] in text and 'id="order-rating"' in text and 'id="submit-rating"' not in text
    again = web.post(f"/orders/{order['id']}/rating", data={"stars": "1"}, headers=headers)
    assert again.status_code == 409 and words["already"] in html.unescape(again.get_data(as_text=True))

    anyone = app.test_client()  # not signed in
    profile = anyone.get(f"/f/{factories['Mill Works']['id']}", headers=headers).get_data(as_text=True)
    assert words["ratings"] in profile and "★★★★★" in profile and words["anon"] in profile
    assert "Clean &lt;b&gt;bores&lt;/b&gt;" in profile  # escaped, never markup
    assert "buyer org" not in profile and "reply-button" not in profile


def test_the_factory_replies_once_from_its_profile_and_a_bad_form_comes_back(delivered, two_sites, app):  # noqa: F811
    buyer, _mill, _finish, order, factories = delivered
    rating = buyer.post(f"/api/v1/orders/{order['id']}/rating", json={"stars": 3}).get_json()
    web, headers = _login(app, two_sites[0]["tenant"].email, "en")  # Mill Works' owner
    profile_url = f"/f/{factories['Mill Works']['id']}"
    assert "reply-button" in web.get(profile_url).get_data(as_text=True)
    url = f"/f/{factories['Mill Works']['id']}/ratings/{rating['id']}/reply"
    empty = web.post(url, data={"body": "  "})
    assert empty.status_code == 422 and "reply-button" in empty.get_data(as_text=True)
    assert "Write a reply." in empty.get_data(as_text=True)
    ok = web.post(url, data={"body": "Thanks, we will do better."}, follow_redirects=True)
    page = ok.get_data(as_text=True)
    assert "Your reply is published." in page and "Thanks, we will do better." in page and "reply-button" not in page
