"""In a browser: failed logins lock an account, and the operator finds the attempts, the
lockout and the later sign-in in the security log, in English and Chinese."""
import re

import pytest

pytestmark = pytest.mark.browser


def _login(page, base, email, password):
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("main button[type=submit]")


def test_the_operator_reads_failed_logins_and_the_lockout_in_the_security_log(live_server, browser, shot, tenant):
    base = live_server
    victim, operator = tenant("buyer"), tenant("operator")
    attacker = browser.new_page(locale="en-US")
    for _ in range(5):
        _login(attacker, base, victim.email, "not-the-password")
    assert "Too many failed attempts" in attacker.content() or "Wrong email or password" in attacker.content()

    page = browser.new_page(locale="en-US")
    _login(page, base, operator.email, "correct-horse-1")
    page.wait_for_url(re.compile(r".*/dashboard$"))
    page.click("text=Security log")
    table = page.inner_text("#security-events")
    assert table.count("login.failed") == 5 and "account.locked" in table and "login.succeeded" in table
    assert victim.email in table and "not-the-password" not in page.content()
    shot(page, "en")
    page.select_option("select[name=action]", "account.locked")
    page.click("text=Filter")
    assert "login.failed" not in page.inner_text("#security-events")
    zh = browser.new_page(locale="zh-CN")
    zh.context.add_cookies(page.context.cookies())
    zh.goto(f"{base}/operator/security-events")
    assert "安全日志" in zh.content()
    shot(zh, "zh")
