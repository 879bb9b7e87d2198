"""Accounts' mails (sign-up, reset, invitation) are sent; the portal says so, and where the
mail went when no mail server is configured (the dev inbox). `market outbox` shows what is
still waiting and `market outbox send` sends it."""
import pytest
from sqlalchemy import select

from market.db import unit_of_work
from market.mail.models import OutboxEmail
from tests.market.test_accounts import _signup

LANGS = {"en": {"header": "en", "subject": "Reset your password", "sent": "we e-mailed a reset link", "dev": "dev inbox",
                "member": "We e-mailed bo@example.test a link to choose a password"},
         "zh-CN": {"header": "zh-CN,zh;q=0.9", "subject": "重置密码", "sent": "我们已向其发送重置密码链接", "dev": "开发收件箱",
                   "member": "我们已向 bo@example.test 发送设置密码的链接"}}


def _outbox(app, to):
    """The latest message to `to` (the sign-up link came before it)."""
    with app.app_context(), unit_of_work() as s:
        return s.scalars(select(OutboxEmail).where(OutboxEmail.to_address == to).order_by(OutboxEmail.id.desc())).first()


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("smtp", [False, True])
def test_a_reset_request_says_a_mail_was_sent_and_where_it_went(client, app, lang, smtp):
    words = LANGS[lang]
    if smtp:  # nothing listens there: the page must not wait for it, nor mention the dev inbox
        app.config.update(SMTP_URL="smtp://127.0.0.1:1", MAIL_SEND_AFTER_COMMIT=False)
    _signup(client)
    client.post("/logout")
    headers = {"Accept-Language": words["header"]}
    page = client.post("/password/forgot", data={"email": "ann@example.test"}, headers=headers,
                       follow_redirects=True).get_data(as_text=True)
    assert words["sent"] in page
    assert (words["dev"] in page) is not smtp
    assert _outbox(app, "ann@example.test").subject == words["subject"]  # Ann chose no language: the request's


@pytest.mark.parametrize("lang", LANGS)
def test_an_owner_adding_a_member_is_told_the_member_got_the_link_which_the_owner_never_sees(client, app, lang):
    words = LANGS[lang]
    _signup(client)
    headers = {"Accept-Language": words["header"]}
    added = client.post("/settings/team", data={"name": "Bo", "email": "bo@example.test"}, headers=headers)
    page = added.get_data(as_text=True)
    assert added.status_code == 200 and words["member"] in page and words["dev"] in page
    mail = _outbox(app, "bo@example.test")
    link = mail.body.split("token=")[1].split()[0]
    assert link not in page and "invite-link" not in page
    client.post("/logout")
    assert client.post("/password/reset", data={"token": link, "password": "bo-chose-this-one"}).status_code == 302


def test_the_operator_reads_unsent_mail_with_market_outbox_and_sends_it(client, app):
    from market.cli import main

    app.config["MAIL_SEND_AFTER_COMMIT"] = False  # as after a crash: queued, not sent
    _signup(client)
    client.post("/settings/team", data={"name": "Bo", "email": "bo@example.test"})
    out = app.test_cli_runner().invoke(main, ["outbox", "--to", "bo@example.test"])
    assert out.exit_code == 0, out.output
    assert "bo@example.test" in out.output and _outbox(app, "bo@example.test").body in out.output
    assert "Status: pending (attempts: 0)" in out.output
    sent = app.test_cli_runner().invoke(main, ["outbox", "send"])
    assert sent.exit_code == 0 and '"sent": 2' in sent.output, sent.output  # the sign-up link and the invitation
    assert app.test_cli_runner().invoke(main, ["outbox"]).output == ""
    assert _outbox(app, "bo@example.test").status == "sent"
