"""In a browser, in both languages, with and without JavaScript: revoking an API token asks
first. With JavaScript a modal dialog opens in place (Escape or Cancel leave the token alone);
without it the button opens the confirm page. Both say what will happen, in the page's
language, and the real submit revokes the token."""
import pytest

from tests.e2e.ui_text import english_on

pytestmark = pytest.mark.browser

DATA = ["erp", "tests-read", "tests", "factory user", "factory org"]  # what the parties typed
WORDS = {"zh-CN": {"title": "请确认", "question": "吊销令牌 erp？", "revoked": "已吊销"},
         "en-US": {"title": "Please confirm", "question": "Revoke the token erp?", "revoked": "revoked"}}


def _tokens_page(browser, live_server, who, locale, javascript: bool):
    context = browser.new_context(locale=locale, java_script_enabled=javascript)
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("#email", who.email)
    page.fill("#password", "correct-horse-1")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    page.goto(f"{live_server}/settings/tokens")
    page.fill("#name", "erp")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    return page


def _revoke_button(page):
    return page.locator("tr", has_text="erp").locator("form.confirm-trigger button")


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_with_javascript_a_dialog_asks_in_place_and_escape_leaves_the_token(live_server, browser, shot, tenant, locale):
    words = WORDS[locale]
    page = _tokens_page(browser, live_server, tenant("factory"), locale, javascript=True)
    _revoke_button(page).click()
    dialog = page.locator("dialog.confirm-dialog[open]")
    dialog.wait_for(state="visible")
    assert page.url.endswith("/settings/tokens")  # in place, no page load
    assert words["title"] in dialog.inner_text() and words["question"] in dialog.inner_text()
    assert page.evaluate("document.activeElement.classList.contains('confirm-cancel')")  # focus in the dialog, on the safe choice
    if locale == "zh-CN":
        assert not english_on(page, DATA)
    shot(page, "dialog")

    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    page.goto(f"{live_server}/settings/tokens")  # not reload(): that would post the token form again
    assert words["revoked"] not in page.locator("tr", has_text="erp").inner_text()

    _revoke_button(page).click()
    with page.expect_navigation():
        page.locator("dialog.confirm-dialog[open] button.confirm-go").click()
    assert words["revoked"] in page.locator("tr", has_text="erp").inner_text()


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_without_javascript_the_confirm_page_asks_and_its_submit_revokes(live_server, browser, shot, tenant, locale):
    words = WORDS[locale]
    page = _tokens_page(browser, live_server, tenant("factory"), locale, javascript=False)
    with page.expect_navigation():
        _revoke_button(page).click()
    assert "/confirm?c=" in page.url
    assert words["title"] in page.inner_text("h2") and words["question"] in page.inner_text("main")
    if locale == "zh-CN":
        assert not english_on(page, DATA)
    shot(page, "confirm-page")

    with page.expect_navigation():
        page.click("main a.confirm-cancel")
    assert page.url.endswith("/settings/tokens") and words["revoked"] not in page.locator("tr", has_text="erp").inner_text()

    with page.expect_navigation():
        _revoke_button(page).click()
    with page.expect_navigation():
        page.click("main button.confirm-go")
    assert words["revoked"] in page.locator("tr", has_text="erp").inner_text()
