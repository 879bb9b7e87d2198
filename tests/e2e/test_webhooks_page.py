"""The webhooks page on a 390 px phone, in Chinese: an owner adds an endpoint, copies the
secret, sends a test event and reads it in the delivery log."""
import time

import pytest

from tests.market.notifications import receiver as receiver_mod

pytestmark = pytest.mark.browser


def test_an_owner_adds_a_webhook_on_a_phone_and_sees_the_test_delivery(app, live_server, browser, tenant, shot):
    app.config.update(WEBHOOK_REQUIRE_HTTPS=False, WEBHOOK_ALLOWED_HOSTS=["127.0.0.1"])
    recv, server = receiver_mod.start()
    try:
        owner = tenant("factory", "Phone Works")
        page = browser.new_page(locale="zh-CN", viewport={"width": 390, "height": 844})
        page.goto(live_server + "/login")
        page.fill("#email", owner.email)
        page.fill("#password", "correct-horse-1")
        page.click("main button[type=submit]")
        page.wait_for_url("**/dashboard**")
        page.goto(live_server + "/settings/webhooks")
        if "Webhook 与群机器人" not in page.inner_text("h1"):
            page.click("#lang-switch")
            page.goto(live_server + "/settings/webhooks")
        assert "Webhook 与群机器人" in page.inner_text("h1")
        page.fill("#url", recv.url + "/in")
        page.check("input[value='order.shipped']")
        page.click("main form button[type=submit]")
        secret = page.inner_text("#new-secret")
        assert secret.startswith("whsec_")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"page is {width}px wide on a 390px phone"
        shot(page, "webhooks-zh-phone")
        page.click("table a")
        page.click("text=发送测试事件")
        deadline = time.monotonic() + 15
        while not recv.requests and time.monotonic() < deadline:
            time.sleep(0.1)
        assert recv.requests[0].json()["type"] == "webhook.test"
        page.reload()
        assert "webhook.test" in page.inner_text("table")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(page, "webhook-log-zh-phone")
    finally:
        server.shutdown()
