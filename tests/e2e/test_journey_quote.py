"""In a browser, in both languages, on a phone and on a laptop: the buyer asks the solver for
quotes, compares them, accepts one; the factory (reading the other language) finds the booking
on its schedule. Every page is checked as every persona journey's are (page_checks.Checks)."""
import re

import pytest

from tests.conftest import order_body
from tests.e2e.page_checks import LANGUAGE_AND_SCREEN, Checks

pytestmark = pytest.mark.browser
# what the parties typed or are called: data, not UI text
TYPED = ["Pump bracket", "Bracket", "BR-1", "Mill Works", "Mill Works-0", "Finish Lab", "Finish Lab-0", "Finish Lab-1",
         "buyer org", "buyer user", "factory user", "Test Works", "1 Test Road", "Suzhou", "6061", "CNY"]
OTHER = {"zh-CN": "en-US", "en-US": "zh-CN"}


WORDS = {"zh-CN": {"accepted_flash": "报价已接受", "accepted": "已确认", "history": r"已发布 → 已报价", "confirm": "请确认"},
         "en-US": {"accepted_flash": "Quote accepted", "accepted": "Accepted", "history": r"Open → Quoted", "confirm": "Please confirm"}}


def _login(checks, browser, base, email):
    page = checks.page(browser)
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", "correct-horse-1")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    return checks.seen(page)


@pytest.mark.parametrize("locale,screen", LANGUAGE_AND_SCREEN)
def test_buyer_compares_quotes_and_accepts_the_cheapest(live_server, browser, shot, api, tenant, two_sites, locale,
                                                        screen):
    words, factory_locale = WORDS[locale], OTHER[locale]
    checks = Checks(locale, screen, shot, TYPED)
    buyer = tenant("buyer")
    order = api(buyer).post("/api/v1/orders", json=order_body(title="Pump bracket")).get_json()
    page = _login(checks, browser, live_server, buyer.email)
    page.goto(f"{live_server}/orders/{order['id']}")
    checks.seen(page, "order")
    page.click("#get-quotes")
    page.wait_for_selector(".quote[data-label=cheapest]", timeout=60000)
    assert page.locator(".quote").count() >= 1
    assert "Mill Works" in page.inner_text(".quote[data-label=cheapest]")
    checks.seen(page, "quotes")
    page.click("#accept-cheapest")  # asks first, in a dialog
    dialog = page.locator("dialog.confirm-dialog[open]")
    dialog.wait_for(state="visible")
    assert words["confirm"] in dialog.inner_text() and "Pump bracket" in dialog.inner_text()
    checks.seen(page, "confirm-accept")
    with page.expect_navigation():
        dialog.locator("button.confirm-go").click()
    page.wait_for_selector(f"text={words['accepted_flash']}")
    assert words["accepted"] in page.inner_text("h1")
    assert re.search(words["history"], page.inner_text("body"))
    checks.seen(page, "accepted")
    seen_by_factory = Checks(factory_locale, screen, shot, TYPED)
    factory = _login(seen_by_factory, browser, live_server, two_sites[0]["tenant"].email)
    factory.goto(f"{live_server}/factories/{two_sites[0]['factory']['id']}/schedule")
    assert factory.locator("#gantt rect.booked").count() == 1
    assert "Pump bracket" in factory.inner_text("#booked-work")
    seen_by_factory.seen(factory, "factory-gantt")
    checks.assert_clean()
    seen_by_factory.assert_clean()
