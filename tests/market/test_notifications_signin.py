"""`security.new_address`: a user is told of a sign-in from an address their account never
signed in from before (not of their very first sign-in, nor of the next ones from there)."""
from __future__ import annotations

from tests.market.notify_helpers import mails, set_locale, told


def _sign_in(app, tenant, address: str) -> None:
    client = app.test_client()
    answer = client.post("/login", data={"email": tenant.email, "password": "correct-horse-1"},
                         environ_base={"REMOTE_ADDR": address})
    assert answer.status_code == 302


def test_a_sign_in_from_a_new_address_tells_the_user_once_in_their_language(app, tenant):
    user = tenant("buyer")
    colleague = tenant("buyer")
    set_locale(app, user, "zh_CN")
    _sign_in(app, user, "10.1.1.1")  # the first sign-in: nothing known to compare with
    _sign_in(app, user, "10.1.1.1")
    assert not told(app, user, "security.new_address")
    _sign_in(app, user, "203.0.113.9")
    [note] = told(app, user, "security.new_address")
    assert note["title"] == "新地址登录" and "203.0.113.9" in note["body"] and note["link"] == ("account", "")
    assert [m["kind"] for m in mails(app, user)] == ["security.new_address"]
    _sign_in(app, user, "203.0.113.9")  # known now
    _sign_in(app, colleague, "203.0.113.9")  # someone else's first sign-in from there
    assert len(told(app, user, "security.new_address")) == 1
    assert not told(app, colleague, "security.new_address")
