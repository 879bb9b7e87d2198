"""In a browser, in both languages, on a phone and on a laptop: a factory bids from the order
board, the buyer counters, the factory accepts the counter, the buyer compares the offers and
accepts the bid. Every page is checked as every persona journey's are (page_checks.Checks)."""

import pytest

from tests.conftest import portal_day
from tests.e2e.dialogs import confirm
from tests.e2e.page_checks import LANGUAGE_AND_SCREEN, Checks
from tests.market.test_bidding import market  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser
# what the parties typed or are called: data, not UI text
TYPED = ["FOB Suzhou", "Alpha Works", "Beta Works", "Beta Works mill", "Alpha Works mill", "Bracket", "BR-1", "6061", "CNY", "buyer org", "buyer user", "factory user", "Test Works",
         "1 Test Road", "Suzhou"]

WORDS = {"zh-CN": {"sent": "您的投标已发送给买方", "accepted": "投标已接受", "counter": "买方还价"},
         "en-US": {"sent": "Your bid was sent to the buyer", "accepted": "Bid accepted", "counter": "The buyer counters"}}


def _login(checks, browser, live_server, who):
    page = checks.page(browser)
    page.goto(f"{live_server}/login")
    page.fill("#email", who.email)
    page.fill("#password", "correct-horse-1")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    return checks.seen(page)


@pytest.mark.parametrize("locale,screen", LANGUAGE_AND_SCREEN)
def test_a_bid_countered_and_accepted_in_the_browser(live_server, browser, shot, market, locale, screen):
    m, words = market, WORDS[locale]
    checks = Checks(locale, screen, shot, [*TYPED, m.beta.tenant.email, m.buyer_tenant.email])
    factory = _login(checks, browser, live_server, m.beta.tenant)
    factory.goto(f"{live_server}/board/{m.order['id']}")
    checks.seen(factory)
    factory.click("#bid-on-order")
    factory.fill("#price", "1500")
    factory.fill("#promised_at", portal_day(12))
    factory.fill("#expires_at", portal_day(6))
    factory.fill("#conditions", "FOB Suzhou")
    checks.seen(factory, "bid-form")
    factory.click("#submit-bid")
    factory.wait_for_selector(f"text={words['sent']}")
    checks.seen(factory)
    bid_url = factory.url

    buyer = _login(checks, browser, live_server, m.buyer_tenant)
    buyer.goto(f"{live_server}/orders/{m.order['id']}")
    checks.seen(buyer)
    buyer.click("#compare-offers")
    buyer.wait_for_selector("tr.offer[data-kind=bid]")
    checks.seen(buyer, "offers")
    buyer.goto(bid_url)
    buyer.fill("#price", "1200")
    buyer.click("#send-counter")

    factory.goto(bid_url)
    assert words["counter"] in factory.inner_text("#counter")
    checks.seen(factory, "countered")
    confirm(factory, "#accept-counter", before=lambda: checks.seen(factory, "confirm-counter"))

    buyer.goto(bid_url)
    confirm(buyer, "#accept-bid")
    buyer.wait_for_selector(f"text={words['accepted']}")
    checks.seen(buyer, "accepted")
    factory.goto(bid_url)
    assert [factory.locator("tr.step").nth(i).get_attribute("data-kind") for i in range(4)] == [
        "submitted", "countered", "counter_accepted", "accepted"]
    checks.seen(factory, "thread")
    checks.assert_clean()
