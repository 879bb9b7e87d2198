"""The embedded default: with no SMTP_URL every message lands in the dev inbox (.eml files
under VAR_DIR/mail), which the operator, and only the operator, reads in the portal."""
import html
import re
import time
from pathlib import Path

import pytest

from market.db import unit_of_work
from market.mail import compose, delivery
from tests.market.test_accounts import _signup


def _inbox(app, count=1, timeout=10.0):
    directory = Path(app.config["MAIL_DIR"])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = sorted(directory.glob("*.eml")) if directory.is_dir() else []
        if len(files) >= count:
            return files
        time.sleep(0.05)
    raise AssertionError(f"no {count} message(s) in {directory}")


def _as_operator(client, tenant):
    operator = tenant("operator")
    client.post("/logout")
    client.post("/login", data={"email": operator.email, "password": "correct-horse-1"})


def test_without_a_mail_server_a_reset_mail_lands_in_the_dev_inbox_under_var(client, app):
    assert not app.config["SMTP_URL"] and app.config["MAIL_DIR"] == str(Path(app.config["VAR_DIR"]) / "mail")
    _signup(client)
    client.post("/logout")
    page = client.post("/password/forgot", data={"email": "ann@example.test"}, follow_redirects=True)
    assert "dev inbox" in page.get_data(as_text=True)  # the portal says where the mail went
    files = _inbox(app, 2)  # the sign-up link, then the reset link
    assert any(b"Subject: Reset your password" in f.read_bytes() for f in files)


def test_the_operator_lists_and_reads_a_dev_inbox_mail_with_a_clickable_link(client, app, tenant):
    _signup(client)
    client.post("/logout")
    client.post("/password/forgot", data={"email": "ann@example.test"})
    _inbox(app, 2)
    _as_operator(client, tenant)
    listing = client.get("/operator/mail").get_data(as_text=True)
    assert "ann@example.test" in listing and "Reset your password" in listing and "dev inbox" in listing
    name = re.search(r'href="/operator/mail/([^"]+)">Reset your password<', listing).group(1)
    page = client.get(f"/operator/mail/{name}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    link = re.search(r'<a href="(http://[^"]+/password/reset\?token=[\w-]+)">', body).group(1)
    assert html.unescape(link).startswith(app.config["BASE_URL"])
    frame = re.search(r'<iframe id="mail-html"[^>]*>', body).group(0)
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in frame and "allow-scripts" not in frame
    assert "srcdoc=\"&lt;base target=&#34;_blank&#34;&gt;" in frame or "srcdoc=\"&lt;base" in frame
    zh = client.get("/operator/mail", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "开发收件箱" in zh


def test_a_mail_whose_html_carries_a_script_is_shown_inert(client, app, tenant):
    app.config["MAIL_SEND_AFTER_COMMIT"] = False
    with app.test_request_context(), unit_of_work() as s:
        compose.queue(s, "signup_taken", to="x@example.test", subject="Your sign-up", language="en",
                      login_url='https://x.test/"><script>alert(1)</script>')
        s.commit()
    with app.app_context():
        assert delivery.send_due() == {"sent": 1}
    _as_operator(client, tenant)
    name = re.search(r'href="/operator/mail/([^"]+)"', client.get("/operator/mail").get_data(as_text=True)).group(1)
    body = client.get(f"/operator/mail/{name}").get_data(as_text=True)
    assert "<script>alert(1)" not in body  # escaped in the text part and inside srcdoc
    assert "&lt;script&gt;alert(1)" in body


@pytest.mark.parametrize("path", ["/operator/mail", "/operator/mail/20260101T000000Z-0123456789abcdef.eml"])
def test_only_the_operator_reads_the_dev_inbox(client, app, path):
    assert client.get(path).status_code == 302  # not signed in: to the login page
    _signup(client)
    assert client.get(path).status_code == 403
    assert client.post("/operator/mail/queue/1/retry").status_code == 403


@pytest.mark.parametrize("name", ["..%2F..%2Fmarket.db", "nothing-here.eml", "20260101T000000Z-0123456789abcdef.eml"])
def test_a_name_that_is_not_a_dev_inbox_message_is_not_found(client, app, tenant, name):
    (Path(app.config["VAR_DIR"]) / "secret.eml").write_text("Subject: no\n\nsecret")
    _as_operator(client, tenant)
    assert client.get(f"/operator/mail/{name}").status_code == 404


def test_with_a_mail_server_the_page_names_it_and_the_portal_does_not_speak_of_the_dev_inbox(client, app, tenant):
    app.config.update(SMTP_URL="smtp://user:secret-pw@127.0.0.1:1?starttls=1", MAIL_SEND_AFTER_COMMIT=False)
    _signup(client)
    client.post("/logout")
    page = client.post("/password/forgot", data={"email": "ann@example.test"}, follow_redirects=True)
    assert "dev inbox" not in page.get_data(as_text=True)
    _as_operator(client, tenant)
    listing = client.get("/operator/mail").get_data(as_text=True)
    assert "smtp://127.0.0.1:1" in listing and "secret-pw" not in listing and 'id="dev-inbox"' not in listing
    assert "ann@example.test" in listing  # the queue: pending, not sent


def test_a_mistyped_smtp_url_keeps_the_mail_waiting_and_the_page_says_why(client, app, tenant):
    app.config.update(SMTP_URL="http://mail.example.test", MAIL_SEND_AFTER_COMMIT=False)
    with app.test_request_context(), unit_of_work() as s:
        compose.queue(s, "password_reset_unknown", to="x@example.test", subject="Reset your password", language="en")
        s.commit()
    with app.app_context():
        assert delivery.send_due() == {"pending": 1}
    _as_operator(client, tenant)
    listing = client.get("/operator/mail").get_data(as_text=True)
    assert "must start with smtp:// or smtps://" in listing and "x@example.test" in listing
