"""In a browser: the buyer asks the solver for quotes, compares them, accepts one."""
import re

import pytest

from tests.conftest import order_body

pytestmark = pytest.mark.browser


def test_buyer_compares_quotes_and_accepts_the_cheapest(live_server, browser, shot, api, tenant, two_sites):
    buyer = tenant("buyer")
    order = api(buyer).post("/api/v1/orders", json=order_body(title="Pump bracket")).get_json()
    page = browser.new_page(locale="zh-CN")
    page.goto(f"{live_server}/login")
    page.fill("#email", buyer.email)
    page.fill("#password", "correct-horse-1")
    page.click("main button[type=submit]")
    page.goto(f"{live_server}/orders/{order['id']}")
    page.click("#get-quotes")
    page.wait_for_selector(".quote[data-label=cheapest]", timeout=60000)
    assert page.locator(".quote").count() >= 1
    assert "Mill Works" in page.inner_text(".quote[data-label=cheapest]")
    shot(page, "quotes-zh")
    page.click("#accept-cheapest")
    page.wait_for_selector("text=报价已接受")
    assert "已确认" in page.inner_text("h1")
    assert re.search(r"报价 cheapest accepted|已发布 → 已报价", page.inner_text("body"))
    shot(page, "accepted-zh")
    factory = browser.new_page(locale="en-US")
    factory.goto(f"{live_server}/login")
    factory.fill("#email", two_sites[0]["tenant"].email)
    factory.fill("#password", "correct-horse-1")
    factory.click("main button[type=submit]")
    factory.goto(f"{live_server}/factories/{two_sites[0]['factory']['id']}/schedule")
    assert factory.locator("#gantt rect.booked").count() == 1
    assert "Pump bracket" in factory.inner_text("#booked-work")
    shot(factory, "factory-gantt")
