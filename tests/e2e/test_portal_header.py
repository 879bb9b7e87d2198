"""The header as a factory owner sees it: one row at 1366 px with the account settings in a
menu under the user's name; on a 390 px phone in Chinese the links fold behind a menu button
that opens them (without JS too: a checkbox), and nothing scrolls sideways."""
import pytest

pytestmark = pytest.mark.browser


def _log_in(page, base, who):
    page.goto(f"{base}/login")
    page.fill("#email", who.email)
    page.fill("#password", "correct-horse-1")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/dashboard")


def test_the_header_is_one_row_on_a_laptop_and_the_account_menu_opens(live_server, browser, tenant, shot):
    owner = tenant("factory", "Dongguan Precision Parts Co.")
    page = browser.new_page(locale="en-US", viewport={"width": 1366, "height": 800})
    _log_in(page, live_server, owner)
    shot(page, "laptop")
    links = page.locator("nav.main > a, nav.main > details > summary")
    first, last = links.first.bounding_box(), links.last.bounding_box()
    assert first["y"] == last["y"], "the menu wraps onto a second row"
    assert not page.is_visible("text=API tokens")  # folded into the account menu
    page.click("details.menu-group summary")  # payouts, credit and leases in one menu
    assert page.is_visible("details.menu-group >> text=Leases")
    shot(page, "laptop-finance-menu")
    page.click("details.menu-group summary")
    page.click("details.account summary")
    shot(page, "laptop-account-menu")
    page.click("details.account >> text=Team")
    page.wait_for_url(f"{live_server}/settings/team")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366


@pytest.mark.parametrize("scripts", [True, False])
def test_on_a_phone_the_menu_folds_behind_a_button(live_server, browser, tenant, shot, scripts):
    owner = tenant("factory", "东莞精密零件有限公司")
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, java_script_enabled=scripts)
    page = context.new_page()
    _log_in(page, live_server, owner)
    assert "English" in page.inner_text("#lang-switch")  # the browser's language: Chinese
    assert not page.is_visible('nav.main >> text="订单"')  # folded
    first_screen = page.locator("header.top").bounding_box()["height"]
    assert first_screen < 120, f"the header takes {first_screen}px of an 844px screen"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, f"phone-closed-js-{scripts}")
    page.click("label.menu-button")
    assert page.is_visible('nav.main >> text="订单"')
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, f"phone-open-js-{scripts}")
    page.click('nav.main >> text="订单"')
    page.wait_for_url(f"{live_server}/orders")
    context.close()
