"""In a browser: factories run a lot through production, QC and shipment; the buyer
receives it; a visitor looks the lot up by its trace code and verifies it in the browser."""
import base64
import json

import pytest

from tests.e2e.dialogs import confirm
from tests.market.test_production import accepted, make_lot  # noqa: F401 - fixture

pytestmark = pytest.mark.browser


def login(browser, base, email, locale="en-US"):
    page = browser.new_page(locale=locale)
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", "correct-horse-1")
    page.click("main button[type=submit]")
    return page


WORDS = {"en-US": {"pass": "Pass", "shipped": "Shipped", "delivered": "Delivered"},
         "zh-CN": {"pass": "合格", "shipped": "已发货", "delivered": "已交付"}}


@pytest.mark.parametrize("mill_locale,locale", [("en-US", "zh-CN"), ("zh-CN", "en-US")])
def test_factories_make_and_ship_a_lot_the_buyer_receives_it(live_server, browser, shot, accepted, two_sites,  # noqa: F811
                                                             mill_locale, locale):
    buyer_api, _, _, order = accepted
    words = WORDS[locale]
    mill_t, finish_t = two_sites[0]["tenant"], two_sites[1]["tenant"]
    mill = login(browser, live_server, mill_t.email, mill_locale)
    mill.goto(f"{live_server}/orders/{order['id']}")
    mill.click("#start-lot")
    mill.wait_for_selector("#trace-code")
    lot_url = mill.url
    mill.click("#start-1")
    mill.fill("#good-1", "99")
    mill.fill("#rejected-1", "1")
    with mill.expect_navigation():
        mill.click("#finish-1")
    assert mill.locator("#start-2").count() == 0  # not the mill's step
    shot(mill, "mill-lot")

    finish = login(browser, live_server, finish_t.email, locale)
    finish.goto(lot_url)
    for seq in (2, 3):
        finish.click(f"#start-{seq}")
        finish.fill(f"#good-{seq}", "99")
        finish.click(f"#finish-{seq}")
    finish.fill("input[name=m_name] >> nth=0", "孔径 bore")
    finish.fill("input[name=m_value] >> nth=0", "12.020")
    finish.fill("input[name=m_lower] >> nth=0", "11.990")
    finish.fill("input[name=m_upper] >> nth=0", "12.010")
    finish.fill("#inspector", "王芳")
    with finish.expect_navigation():
        finish.click("#record-qc")
    # a pass that contradicts its numbers, refused in the inspector's language next to the result
    assert ("out of limits" if locale == "en-US" else "超出公差") in finish.inner_text("#qc-form [data-error-for=result]")
    assert finish.input_value("#inspector") == "王芳"  # what was typed is still there
    finish.fill("input[name=m_name] >> nth=0", "孔径 bore")
    finish.fill("input[name=m_value] >> nth=0", "12.004")
    finish.fill("input[name=m_lower] >> nth=0", "11.990")
    finish.fill("input[name=m_upper] >> nth=0", "12.010")
    finish.fill("#inspector", "王芳")
    finish.click("#record-qc")
    assert words["pass"] in finish.inner_text("#qc")
    finish.fill("#carrier", "顺丰 SF Express")
    finish.fill("#tracking_ref", "SF1234567890")
    finish.click("#ship")
    assert words["shipped"] in finish.inner_text("h1")
    shot(finish, "finish-lot")
    with finish.expect_navigation():  # counting on the lot page still on screen would find no QR
        finish.click("#label")
    assert finish.locator(".label svg").count() == 1
    shot(finish, "label")

    buyer = login(browser, live_server, buyer_api.email, locale)
    buyer.goto(lot_url)
    confirm(buyer, "#confirm-delivery")
    assert words["delivered"] in buyer.inner_text("h1")
    buyer.goto(f"{live_server}/orders/{order['id']}")
    assert words["delivered"] in buyer.inner_text("h1")


@pytest.mark.parametrize("locale,ok_word", [("en-US", "Verified"), ("zh-CN", "已验证")])
def test_visitor_verifies_a_lot_in_the_browser_and_a_forged_entry_fails(live_server, browser, shot, accepted,  # noqa: F811
                                                                        locale, ok_word):
    buyer, mill, finish, order = accepted
    lot, url = make_lot(buyer, mill, finish, order)
    finish.post(f"{url}/shipment", json={"carrier": "SF"})
    page = browser.new_page(locale=locale)
    page.goto(f"{live_server}/trace")
    page.fill("#code", lot["trace_code"].lower().replace("-", " "))
    page.click("#trace-go")
    page.wait_for_selector("#verify")
    assert "Mill Works" in page.inner_text("#timeline")
    page.click("#verify")
    page.wait_for_selector("#verify-result[data-state]")
    result = page.inner_text("#verify-result")
    assert page.get_attribute("#verify-result", "data-state") == "verified", result
    assert ok_word in result
    assert page.locator("#timeline li.verified").count() == 9
    shot(page, "trace-verified")

    # a server that forges one entry (a failed inspection turned into a pass) is caught
    forged = browser.new_page(locale=locale)

    def tamper(route):
        body = route.fetch().json()
        qc = next(e for e in body["entries"] if e["event"]["type"] == "qc.recorded")
        qc["entry"] = base64.b64encode(base64.b64decode(qc["entry"]).replace(b"12.004", b"12.003")).decode()
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    forged.route("**/api/v1/trace/*", tamper)
    forged.goto(f"{live_server}/trace/{lot['trace_code']}")
    forged.click("#verify")
    forged.wait_for_selector("#verify-result[data-state]")
    assert forged.get_attribute("#verify-result", "data-state") == "failed"
    assert forged.locator("#timeline li.failed").count() == 1
    shot(forged, "trace-forged")
