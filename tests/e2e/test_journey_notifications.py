"""In a browser on a phone-sized screen: a factory invited to quote and then booked sees the
bell's count, which updates without a reload when something new arrives, and clicks through
from the notification centre to the order."""
import re

import pytest

from tests.conftest import order_body
from tests.market.test_quotes import wait_job

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("locale,words", [
    ("en-US", {"booked": "Your factory was booked", "invited": "You are invited to quote"}),
    ("zh-CN", {"booked": "您的工厂已被预订", "invited": "邀请您报价"}),
])
def test_a_booked_factory_sees_the_bell_and_clicks_through_to_the_order(app, live_server, browser, shot, api, tenant,
                                                                       two_sites, locale, words):
    app.config["NOTIFICATIONS_POLL_S"] = 1  # the bell polls every second here (45 s in use)
    mill = two_sites[0]
    buyer = api(tenant("buyer", "Acme Pumps"))
    order = buyer.post("/api/v1/orders", json=order_body(title="Pump shaft", operations=[
        {"process_code": "cnc_milling_3ax", "setup_minutes": 30, "run_minutes_per_unit": 1}])).get_json()
    assert buyer.post(f"/api/v1/orders/{order['id']}/quote-requests",
                      json={"factory_id": mill["factory"]["id"]}).status_code == 201

    page = browser.new_page(locale=locale, viewport={"width": 390, "height": 844})
    page.goto(f"{live_server}/login")
    page.fill("#email", mill["tenant"].email)
    page.fill("#password", "correct-horse-1")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard"))
    assert page.inner_text("#bell-count") == "1"
    assert page.is_visible("#bell")

    # the buyer accepts a quote booking the mill: the open page's bell counts it without a reload
    wait_job(buyer, buyer.post(f"/api/v1/orders/{order['id']}/quotes").get_json()["id"])
    cheapest = next(q for q in buyer.get(f"/api/v1/orders/{order['id']}/quotes").get_json()["items"] if q["label"] == "cheapest")
    assert buyer.post(f"/api/v1/quotes/{cheapest['id']}/accept").status_code == 200
    page.locator("#bell-count", has_text=re.compile(r"^2$")).wait_for(timeout=15000)  # (CSP: no eval'd JS)
    shot(page, "bell")

    page.click("#bell")
    page.wait_for_selector("#notifications")
    titles = page.locator(".note-title").all_inner_texts()
    assert titles == [words["booked"], words["invited"]]
    # nothing sticks out of a 390 px screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "centre")
    page.locator(".note-title").first.click()
    page.wait_for_url(re.compile(rf".*/orders/{order['id']}$"))
    assert "Pump shaft" in page.inner_text("h1")
    assert page.inner_text("#bell-count") == "1"
