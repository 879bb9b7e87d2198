"""In a browser, in both languages: a factory bids from the order board, the buyer counters,
the factory accepts the counter, the buyer compares the offers and accepts the bid."""

import pytest

from tests.conftest import portal_day
from tests.e2e.dialogs import confirm
from tests.market.test_bidding import market  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

WORDS = {"zh-CN": {"sent": "您的投标已发送给买方", "accepted": "投标已接受", "counter": "买方还价"},
         "en-US": {"sent": "Your bid was sent to the buyer", "accepted": "Bid accepted", "counter": "The buyer counters"}}


def _login(browser, live_server, who, locale):
    page = browser.new_page(locale=locale)
    page.goto(f"{live_server}/login")
    page.fill("#email", who.email)
    page.fill("#password", "correct-horse-1")
    page.click("main button[type=submit]")
    return page


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_a_bid_countered_and_accepted_in_the_browser(live_server, browser, shot, market, locale):
    m, words = market, WORDS[locale]
    factory = _login(browser, live_server, m.beta.tenant, locale)
    factory.goto(f"{live_server}/board/{m.order['id']}")
    factory.click("#bid-on-order")
    factory.fill("#price", "1500")
    factory.fill("#promised_at", portal_day(12))
    factory.fill("#expires_at", portal_day(6))
    factory.fill("#conditions", "FOB Suzhou")
    shot(factory, "bid-form")
    factory.click("#submit-bid")
    factory.wait_for_selector(f"text={words['sent']}")
    bid_url = factory.url

    buyer = _login(browser, live_server, m.buyer_tenant, locale)
    buyer.goto(f"{live_server}/orders/{m.order['id']}")
    buyer.click("#compare-offers")
    buyer.wait_for_selector("tr.offer[data-kind=bid]")
    shot(buyer, "offers")
    buyer.goto(bid_url)
    buyer.fill("#price", "1200")
    buyer.click("#send-counter")

    factory.goto(bid_url)
    assert words["counter"] in factory.inner_text("#counter")
    shot(factory, "countered")
    confirm(factory, "#accept-counter")

    buyer.goto(bid_url)
    confirm(buyer, "#accept-bid")
    buyer.wait_for_selector(f"text={words['accepted']}")
    shot(buyer, "accepted")
    factory.goto(bid_url)
    assert [factory.locator("tr.step").nth(i).get_attribute("data-kind") for i in range(4)] == [
        "submitted", "countered", "counter_accepted", "accepted"]
    shot(factory, "thread")
