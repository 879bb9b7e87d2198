"""In a browser: a user who forgot the password asks for a reset, the mail arrives at a real
SMTP server on 127.0.0.1, the link in it (on the public base URL) opens the reset page, and
the user signs in with the new password. Without a mail server, the operator reads the same
kind of mail in the dev inbox and its link works from there."""
import re

import pytest

from tests.market.smtp_server import SmtpServer

pytestmark = pytest.mark.browser


def _login(page, base, email, password):
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("main button[type=submit]")


def _ask_for_a_reset(page, base, email):
    page.goto(f"{base}/login")
    page.click("text=Forgot your password?")
    page.fill("#email", email)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/login$"))


def test_a_user_resets_the_password_from_the_link_in_the_received_mail(live_server, browser, shot, app, tenant):
    buyer = tenant("buyer")
    with SmtpServer() as smtp:
        app.config.update(SMTP_URL=smtp.url, PUBLIC_BASE_URL=live_server)
        page = browser.new_page(locale="en-US")
        _ask_for_a_reset(page, live_server, buyer.email)
        assert "we e-mailed a reset link" in page.inner_text("body") and "dev inbox" not in page.inner_text("body")
        mail = smtp.mailbox.wait_for(1)[0]
    assert mail["To"] == buyer.email and mail["Subject"] == "Reset your password"
    link = re.search(r"\S+/password/reset\?token=[\w-]+", mail.get_body(("plain",)).get_content()).group(0)
    assert link.startswith(live_server)
    page.goto(link)
    page.fill("#password", "a-brand-new-password")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/login$"))
    assert "Your password was changed" in page.inner_text("body")
    _login(page, live_server, buyer.email, "correct-horse-1")  # the old one is gone
    assert "Wrong email or password" in page.inner_text("body")
    _login(page, live_server, buyer.email, "a-brand-new-password")
    page.wait_for_url(re.compile(r".*/dashboard$"))
    shot(page, "signed-in")


def test_the_operator_reads_the_mail_in_the_dev_inbox_and_its_link_works(live_server, browser, shot, app, tenant):
    buyer, operator = tenant("buyer"), tenant("operator")
    app.config["PUBLIC_BASE_URL"] = live_server
    visitor = browser.new_page(locale="en-US")
    _ask_for_a_reset(visitor, live_server, buyer.email)
    assert "dev inbox" in visitor.inner_text("body")  # the portal says where the mail went

    page = browser.new_page(locale="en-US")
    _login(page, live_server, operator.email, "correct-horse-1")
    page.wait_for_url(re.compile(r".*/dashboard$"))
    page.click("#operator-mail")
    for _ in range(50):  # the background sender writes the file right after the commit
        if buyer.email in page.inner_text("#dev-inbox"):
            break
        page.wait_for_timeout(100)
        page.reload()
    page.click("#dev-inbox >> text=Reset your password")
    assert buyer.email in page.inner_text("#mail-headers")
    html = page.frame_locator("#mail-html")
    assert "Choose a new password" in html.locator("body").inner_text()
    shot(page, "dev-inbox-message")
    link = page.locator("#mail-text a")
    link.scroll_into_view_if_needed()  # (clicked before the scroll settled, it went nowhere)
    link.click()
    page.wait_for_url(re.compile(r".*/password/reset\?token=.*"))
    page.fill("#password", "set-from-the-dev-inbox")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/login$"))
    _login(page, live_server, buyer.email, "set-from-the-dev-inbox")
    page.wait_for_url(re.compile(r".*/dashboard$"))
