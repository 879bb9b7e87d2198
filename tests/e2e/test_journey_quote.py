"""In a browser: the buyer asks the solver for quotes, compares them, accepts one."""
import re

import pytest

from tests.conftest import order_body

pytestmark = pytest.mark.browser


WORDS = {"zh-CN": {"accepted_flash": "报价已接受", "accepted": "已确认", "history": r"已发布 → 已报价", "confirm": "请确认"},
         "en-US": {"accepted_flash": "Quote accepted", "accepted": "Accepted", "history": r"Open → Quoted", "confirm": "Please confirm"}}


@pytest.mark.parametrize("locale,factory_locale", [("zh-CN", "en-US"), ("en-US", "zh-CN")])
def test_buyer_compares_quotes_and_accepts_the_cheapest(live_server, browser, shot, api, tenant, two_sites, locale,
                                                        factory_locale):
    words = WORDS[locale]
    buyer = tenant("buyer")
    order = api(buyer).post("/api/v1/orders", json=order_body(title="Pump bracket")).get_json()
    page = browser.new_page(locale=locale)
    page.goto(f"{live_server}/login")
    page.fill("#email", buyer.email)
    page.fill("#password", "correct-horse-1")
    page.click("main button[type=submit]")
    page.goto(f"{live_server}/orders/{order['id']}")
    page.click("#get-quotes")
    page.wait_for_selector(".quote[data-label=cheapest]", timeout=60000)
    assert page.locator(".quote").count() >= 1
    assert "Mill Works" in page.inner_text(".quote[data-label=cheapest]")
    shot(page, "quotes")
    for width in (1366, 390):  # a laptop, a phone: the cards fit, nothing scrolls sideways
        page.set_viewport_size({"width": width, "height": 844})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, width
        shot(page, f"quotes-{width}")
    page.set_viewport_size({"width": 1280, "height": 720})
    page.click("#accept-cheapest")  # asks first, in a dialog
    dialog = page.locator("dialog.confirm-dialog[open]")
    dialog.wait_for(state="visible")
    assert words["confirm"] in dialog.inner_text() and "Pump bracket" in dialog.inner_text()
    shot(page, "confirm-accept")
    with page.expect_navigation():
        dialog.locator("button.confirm-go").click()
    page.wait_for_selector(f"text={words['accepted_flash']}")
    assert words["accepted"] in page.inner_text("h1")
    assert re.search(words["history"], page.inner_text("body"))
    shot(page, "accepted")
    factory = browser.new_page(locale=factory_locale)
    factory.goto(f"{live_server}/login")
    factory.fill("#email", two_sites[0]["tenant"].email)
    factory.fill("#password", "correct-horse-1")
    factory.click("main button[type=submit]")
    factory.goto(f"{live_server}/factories/{two_sites[0]['factory']['id']}/schedule")
    assert factory.locator("#gantt rect.booked").count() == 1
    assert "Pump bracket" in factory.inner_text("#booked-work")
    shot(factory, "factory-gantt")
