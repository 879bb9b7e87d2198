"""E-mail through a real SMTP server on 127.0.0.1: the reset and invite mails arrive as
multipart text + HTML, in the recipient's language (a zh-CN subject is RFC 2047 encoded
and decodes back), with links on the configured public base URL. A server that refuses
twice gets the message once; a claimed row is never sent twice; a crash after the commit
loses nothing."""
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from market.accounts import services
from market.accounts.models import User
from market.db import unit_of_work, utcnow
from market.mail import compose, delivery
from market.mail.models import OutboxEmail
from tests.market.smtp_server import SmtpServer
from tests.market.test_accounts import _signup

PUBLIC = "https://market.example.test"


@pytest.fixture
def smtp(app):
    with SmtpServer() as server:
        app.config.update(SMTP_URL=server.url, PUBLIC_BASE_URL=PUBLIC, SMTP_TIMEOUT_S=5)
        yield server.mailbox


def _rows(app, to):
    with app.app_context(), unit_of_work() as s:
        return list(s.scalars(select(OutboxEmail).where(OutboxEmail.to_address == to).order_by(OutboxEmail.id)))


def _parts(message):
    return (message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content())


def test_a_password_reset_arrives_by_smtp_as_text_and_html_with_a_link_on_the_public_base_url(client, app, smtp):
    _signup(client)
    client.post("/logout")
    client.post("/password/forgot", data={"email": "ann@example.test"}, headers={"Host": "evil.example"})
    reset = [m for m in smtp.wait_for(2) if m["Subject"] == "Reset your password"]
    assert len(reset) == 1 and reset[0]["To"] == "ann@example.test"
    assert reset[0].get_content_type() == "multipart/alternative"
    text, html = _parts(reset[0])
    link = re.search(r"https?://\S+", text).group(0)
    assert link.startswith(f"{PUBLIC}/password/reset?token=") and "evil.example" not in text + html
    assert f'href="{link}"' in html.replace("&amp;", "&")
    assert reset[0]["Message-ID"] == _rows(app, "ann@example.test")[-1].message_id
    assert _rows(app, "ann@example.test")[-1].status == "sent"
    token = link.split("token=")[1]
    assert client.post("/password/reset", data={"token": token, "password": "brand-new-password"}).status_code == 302


def test_a_chinese_user_gets_a_chinese_reset_mail_whose_subject_is_encoded_and_decodes_back(client, app, smtp):
    _signup(client)
    client.post("/logout")
    with app.app_context(), unit_of_work() as s:
        s.execute(update(User).where(User.email == "ann@example.test").values(locale="zh_CN"))
        s.commit()
    # the request comes in English: the mail follows the user's own language
    client.post("/password/forgot", data={"email": "ann@example.test"}, headers={"Accept-Language": "en"})
    arrived = smtp.wait_for(2)[-1]
    raw = smtp.raw[-1].decode("ascii")  # every header and part is 7-bit on the wire
    subject_line = re.search(r"^Subject: (.*)$", raw, re.M).group(1)
    assert "=?utf-8?" in subject_line.lower()
    assert arrived["Subject"] == "重置密码"
    assert arrived["Content-Language"] == "zh-CN"
    text, html = _parts(arrived)
    assert "分钟内打开以下链接设置新密码" in text and "设置新密码" in html and f"{PUBLIC}/password/reset?token=" in text


def test_a_team_invite_arrives_in_the_owners_language_and_its_link_sets_the_password(client, app, smtp):
    _signup(client)
    page = client.post("/settings/team", data={"name": "Bo", "email": "bo@example.test"},
                       headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert "bo@example.test" in page and "token=" not in page  # the link goes to Bo only
    invite = smtp.wait_for(2) and smtp.to("bo@example.test")
    assert len(invite) == 1 and invite[0]["Subject"] == "您已被加入 Acme Works"
    text, html = _parts(invite[0])
    assert "Ann 已将您加入共享制造平台上的 Acme Works" in text and "Acme Works" in html
    token = re.search(re.escape(PUBLIC) + r"/password/reset\?token=([\w-]+)", text).group(1)
    client.post("/logout")
    assert client.post("/password/reset", data={"token": token, "password": "bo-chose-this-one"}).status_code == 302
    assert client.post("/login", data={"email": "bo@example.test", "password": "bo-chose-this-one"}).status_code == 302


def _queue_one(app, to="cy@example.test") -> int:
    """A reset note queued without a sender after the commit (as if the process died there)."""
    with app.test_request_context(), unit_of_work() as s:
        row = compose.queue(s, "password_reset_unknown", to=to, subject="Reset your password", language="en")
        s.commit()
        return row.id


def test_a_server_that_refuses_twice_then_accepts_gets_the_mail_once(app, smtp):
    app.config.update(MAIL_SEND_AFTER_COMMIT=False, MAIL_RETRY_BASE_S=0)
    smtp.refuse_next = 2
    mail_id = _queue_one(app)
    with app.app_context():
        assert delivery.send_due() == {"pending": 1}
        first = _rows(app, "cy@example.test")[0]
        assert first.attempts == 1 and first.last_error.startswith("451")
        assert delivery.send_due() == {"pending": 1}
        assert delivery.send_due() == {"sent": 1}
        assert delivery.send_due() == {}
    assert smtp.attempts == 3 and len(smtp.to("cy@example.test")) == 1
    row = _rows(app, "cy@example.test")[0]
    assert (row.id, row.status, row.attempts, row.last_error) == (mail_id, "sent", 3, None)


def test_the_back_off_doubles_and_the_last_attempt_fails_the_row(app, smtp):
    app.config.update(MAIL_SEND_AFTER_COMMIT=False, MAIL_RETRY_BASE_S=60, MAIL_MAX_ATTEMPTS=3)
    smtp.refuse_next = 10
    mail_id = _queue_one(app)
    with app.app_context():
        now = utcnow()
        assert delivery.send(mail_id, now) == "pending"
        due = _rows(app, "cy@example.test")[0].next_attempt_at
        assert (due - now).total_seconds() == 60
        assert delivery.send(mail_id, due - timedelta(seconds=1)) is None  # not due yet: nobody claims it
        assert delivery.send(mail_id, due) == "pending"
        row = _rows(app, "cy@example.test")[0]
        assert row.attempts == 2 and (row.next_attempt_at - due).total_seconds() == 120
        assert delivery.send(mail_id, row.next_attempt_at) == "failed"
    assert smtp.attempts == 3 and smtp.to("cy@example.test") == []


def test_a_permanent_refusal_fails_the_row_at_once_and_the_operator_may_send_it_again(app, smtp):
    app.config.update(MAIL_SEND_AFTER_COMMIT=False)
    mail_id = _queue_one(app, to="nobody@example.test")

    async def refuse(server, session, envelope, address, rcpt_options):
        return "550 5.1.1 No such user" if address.startswith("nobody") else "250 OK"

    smtp.handle_RCPT = refuse
    with app.app_context():
        assert delivery.send(mail_id) == "failed"
        assert "550" in _rows(app, "nobody@example.test")[0].last_error
        del smtp.handle_RCPT
        assert delivery.retry_now(mail_id) and delivery.send(mail_id) == "sent"
    assert len(smtp.to("nobody@example.test")) == 1


def test_a_claimed_row_is_sent_by_one_sender_only(app, smtp):
    """Eight senders race for one row (the after-commit job, sweeps on several workers):
    one claims it and sends; the others find it taken."""
    app.config.update(MAIL_SEND_AFTER_COMMIT=False)
    mail_id = _queue_one(app)
    results, start = [], threading.Barrier(8)

    def sender():
        with app.app_context():
            start.wait()
            results.append(delivery.send(mail_id))

    threads = [threading.Thread(target=sender) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results, key=str) == [None] * 7 + ["sent"]
    with app.app_context():
        assert delivery.send_due() == {}
    assert len(smtp.to("cy@example.test")) == 1


def test_a_mail_committed_before_a_crash_is_sent_by_the_sweep_and_a_lost_sender_is_replaced(app, smtp):
    app.config.update(MAIL_SEND_AFTER_COMMIT=False, MAIL_SEND_LEASE_S=300)
    first, second = _queue_one(app, "a@example.test"), _queue_one(app, "b@example.test")
    with app.app_context(), unit_of_work() as s:
        # the second was claimed by a sender that died before it could talk to the server
        s.execute(update(OutboxEmail).where(OutboxEmail.id == second)
                  .values(status="sending", attempts=1, next_attempt_at=utcnow()))
        s.commit()
    with app.app_context():
        from market.ops import periodic

        assert periodic.run("send_mail") == {"sent": 2}
        assert periodic.run("send_mail") == {}
    assert [len(smtp.to(a)) for a in ("a@example.test", "b@example.test")] == [1, 1]
    assert {r.status for r in _rows(app, "a@example.test") + _rows(app, "b@example.test")} == {"sent"}
    assert first != second


def test_a_request_does_not_wait_for_a_server_that_never_answers(client, app):
    """The send runs after the commit on a background worker: a mail server that accepts
    the connection and stays silent costs the request nothing."""
    import socket
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    app.config.update(SMTP_URL=f"smtp://127.0.0.1:{listener.getsockname()[1]}", SMTP_TIMEOUT_S=3)
    try:
        _signup(client)
        client.post("/logout")
        started = time.monotonic()
        assert client.post("/password/forgot", data={"email": "ann@example.test"}).status_code == 302
        assert time.monotonic() - started < 2
    finally:
        listener.close()


def test_smtp_url_with_credentials_logs_in(app):
    from aiosmtpd.smtp import AuthResult

    def check(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"mailer" and auth_data.password == b"p@ss word"
        return AuthResult(success=ok)

    app.config.update(MAIL_SEND_AFTER_COMMIT=False)
    with SmtpServer(authenticator=check, auth_require_tls=False, auth_required=True) as server:
        app.config["SMTP_URL"] = f"smtp://mailer:p%40ss%20word@127.0.0.1:{server.port}"
        mail_id = _queue_one(app)
        with app.app_context():
            assert delivery.send(mail_id) == "sent"
        assert len(server.mailbox.raw) == 1


def test_a_reset_asked_for_an_address_with_a_line_break_fails_its_row_and_injects_no_header(client, app, smtp):
    app.config["MAIL_SEND_AFTER_COMMIT"] = False
    hostile = "x@example.test\r\nBcc: victim@example.test"
    # the portal's form refuses it at the field (#18): nothing is queued
    refused = client.post("/password/forgot", data={"email": hostile})
    assert refused.status_code == 422 and 'data-error-for="email"' in refused.get_data(as_text=True)
    with app.app_context():
        assert delivery.send_due() == {}
        # and should such an address reach the outbox another way, its row fails, no header goes out
        services.request_password_reset(hostile, lambda token: f"http://127.0.0.1/reset?token={token}")
        assert delivery.send_due() == {"failed": 1}
    assert smtp.raw == []
