"""In a browser, in both languages: the buyer rates its delivered order from the order page;
the factory sees the rating on its public profile and replies once; a visitor who is not signed
in reads both, the buyer unnamed."""
import pytest

from tests.e2e.test_journey_production import login
from tests.market.test_production import accepted  # noqa: F401 - fixture
from tests.market.test_ratings import delivered  # noqa: F401 - fixture

pytestmark = pytest.mark.browser

WORDS = {"en-US": {"rate": "Rate this order", "anon": "A verified buyer", "published": "Your reply is published."},
         "zh-CN": {"rate": "评价此订单", "anon": "一位已验证的买方", "published": "您的回复已发布。"}}


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_a_buyer_rates_in_the_browser_and_the_factory_replies_on_its_profile(live_server, browser, shot, delivered,  # noqa: F811
                                                                            two_sites, locale):
    buyer_api, _mill, _finish, order, factories = delivered
    words = WORDS[locale]
    buyer = login(browser, live_server, buyer_api.email, locale)
    buyer.goto(f"{live_server}/orders/{order['id']}")
    assert words["rate"] in buyer.inner_text("#rating")
    buyer.check("#stars-4")
    buyer.fill("#rating-comment", "尺寸准确，包装稍差 / accurate, packed poorly")
    shot(buyer, "order-page-form")
    buyer.click("#submit-rating")
    buyer.wait_for_selector("#order-rating")
    assert buyer.inner_text("#order-rating").startswith("★★★★☆")
    shot(buyer, "order-page-rated")

    mill = login(browser, live_server, two_sites[0]["tenant"].email, locale)
    mill.goto(f"{live_server}/f/{factories['Mill Works']['id']}")
    mill.fill("#ratings textarea", "谢谢，我们已改进包装。Thanks, packing improved.")
    mill.click("#ratings .reply-button")
    assert words["published"] in mill.inner_text(".flash")
    assert mill.locator("#ratings .reply-button").count() == 0  # one reply only

    visitor = browser.new_page(locale=locale)
    visitor.goto(f"{live_server}/f/{factories['Mill Works']['id']}")
    text = visitor.inner_text("#ratings")
    assert words["anon"] in text and "accurate, packed poorly" in text and "packing improved" in text
    assert "buyer org" not in text
    shot(visitor, "public-profile")
