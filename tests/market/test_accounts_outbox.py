"""No e-mail is sent yet: reset and invitation messages wait in the outbox. The portal says
so instead of claiming a message was sent, and says where the link is."""
import re

import pytest
from sqlalchemy import select

from market.mail.models import OutboxEmail
from market.db import unit_of_work
from tests.market.test_accounts import _signup

LANGS = {"en": {"header": "en", "claims": ["we sent", "received a link", "Send reset link"],
                "honest": "does not send e-mail"},
         "zh-CN": {"header": "zh-CN,zh;q=0.9", "claims": ["已向其发送", "将收到", "发送重置链接"],
                   "honest": "尚未开通邮件发送"}}


def _outbox(app, to):
    """The latest message to `to` (the sign-up link came before it)."""
    with app.app_context(), unit_of_work() as s:
        return s.scalars(select(OutboxEmail).where(OutboxEmail.to_address == to).order_by(OutboxEmail.id.desc())).first()


@pytest.mark.parametrize("lang", LANGS)
def test_a_reset_request_does_not_claim_a_mail_was_sent(client, app, lang):
    words = LANGS[lang]
    _signup(client)
    client.post("/logout")
    headers = {"Accept-Language": words["header"]}
    form = client.get("/password/forgot", headers=headers).get_data(as_text=True)
    page = client.post("/password/forgot", data={"email": "ann@example.test"}, headers=headers,
                       follow_redirects=True).get_data(as_text=True)
    for claim in words["claims"]:
        assert claim not in form and claim not in page
    assert words["honest"] in page
    assert _outbox(app, "ann@example.test").sent_at is None  # where the link really is


@pytest.mark.parametrize("lang", LANGS)
def test_an_owner_adding_a_member_gets_the_link_to_pass_on_once(client, app, lang):
    words = LANGS[lang]
    _signup(client)
    headers = {"Accept-Language": words["header"]}
    added = client.post("/settings/team", data={"name": "Bo", "email": "bo@example.test"}, headers=headers)
    page = added.get_data(as_text=True)
    assert added.status_code == 200
    for claim in words["claims"]:
        assert claim not in page
    assert words["honest"] in page
    link = re.search(r'id="invite-link">([^<]+)<', page).group(1).replace("&amp;", "&")
    assert link in _outbox(app, "bo@example.test").body  # the same one-time link the outbox holds
    assert link not in client.get("/settings/team").get_data(as_text=True)  # shown once
    client.post("/logout")
    token = link.split("token=")[1]
    assert client.post("/password/reset", data={"token": token, "password": "bo-chose-this-one"}).status_code == 302


def test_the_operator_reads_unsent_mail_with_market_outbox(client, app):
    from market.cli import main

    _signup(client)
    client.post("/settings/team", data={"name": "Bo", "email": "bo@example.test"})
    out = app.test_cli_runner().invoke(main, ["outbox"])
    assert out.exit_code == 0, out.output
    assert "bo@example.test" in out.output and _outbox(app, "bo@example.test").body in out.output
