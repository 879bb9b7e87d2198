"""Irreversible actions ask first (market/web/confirm.py, the `confirm` macro): the button opens
a confirm page (or, with JavaScript, a dialog) that says what will happen, in the reader's
language, and holds the real POST form; a ticket made elsewhere is not shown."""
import html
import re

import pytest


def _login(app, email, language):
    client = app.test_client()
    headers = {"Accept-Language": language}
    assert client.post("/login", data={"email": email, "password": "correct-horse-1"}, headers=headers).status_code == 302
    return client, headers


def _ticket(page: str) -> str:
    return html.unescape(re.search(r'name="c" value="([^"]+)"', page).group(1))


@pytest.mark.parametrize("language, words", [
    ("en", ("Please confirm", "Revoke the token erp? Systems using it are refused at once.", "This cannot be undone.")),
    ("zh-CN", ("请确认", "吊销令牌 erp？使用它的系统将立即被拒绝。", "此操作无法撤销。")),
])
def test_revoking_a_token_asks_first_on_a_page_that_says_what_will_happen(app, tenant, language, words):
    owner = tenant("factory")
    web, headers = _login(app, owner.email, language)
    web.post("/settings/tokens", data={"name": "erp", "scope": "write"}, headers=headers)
    tokens = web.get("/settings/tokens", headers=headers).get_data(as_text=True)
    # the button no longer posts: it opens the confirm page; the dialog holds the same POST form
    assert 'method="get" action="/confirm"' in tokens and '<dialog id="confirm-' in tokens
    ticket = _ticket(tokens)

    page = web.get("/confirm", query_string={"c": ticket}, headers=headers)
    text = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 200 and all(w in text for w in words)
    action = re.search(r'<form method="post" action="(/settings/tokens/[0-9a-f-]+/revoke)"', text).group(1)
    assert re.search(r'class="button secondary confirm-cancel" href="/settings/tokens"', text)  # back to the list

    with app.app_context():
        from market.accounts import services
        assert [t.name for t in services.list_api_tokens(owner.actor) if t.revoked_at is None].count("erp") == 1
    assert web.post(action, headers=headers).status_code == 302  # the real submit does it
    with app.app_context():
        assert "erp" not in [t.name for t in services.list_api_tokens(owner.actor) if t.revoked_at is None]


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature changed
    lambda t: t.split(".")[0],  # no signature
    lambda t: "e30." + t.split(".")[1],  # another body ({}) under this signature
    lambda t: "%%%.***",  # not even base64
])
def test_a_forged_or_mangled_confirmation_is_not_shown(app, tenant, mangle):
    owner = tenant("factory")
    web, headers = _login(app, owner.email, "en")
    web.post("/settings/tokens", data={"name": "erp", "scope": "write"}, headers=headers)
    ticket = _ticket(web.get("/settings/tokens", headers=headers).get_data(as_text=True))
    assert web.get("/confirm", query_string={"c": ticket}, headers=headers).status_code == 200
    assert web.get("/confirm", query_string={"c": mangle(ticket)}, headers=headers).status_code == 404
    assert web.get("/confirm", headers=headers).status_code == 404


def test_a_confirmation_posts_only_to_a_path_on_this_site(app):
    from market.web.confirm import ticket

    with app.test_request_context("/orders"):
        for away in ("https://evil.example/x", "//evil.example/x", "/\\evil.example"):
            with pytest.raises(ValueError):
                ticket(away, "Go", "Really?")
        assert ticket("/orders/1/move", "Go", "Really?", {"to": "cancelled"})


def test_the_confirm_page_needs_a_signed_in_user(app, client, tenant):
    owner = tenant("factory")
    web, headers = _login(app, owner.email, "en")
    web.post("/settings/tokens", data={"name": "erp", "scope": "write"}, headers=headers)
    ticket = _ticket(web.get("/settings/tokens", headers=headers).get_data(as_text=True))
    assert client.get("/confirm", query_string={"c": ticket}).status_code == 302  # to the login page


def test_cancel_on_a_page_shown_again_after_a_post_returns_to_the_form_page(app, tenant):
    from market.web.confirm import read, ticket

    with app.test_request_context("/settings/tokens", method="POST", headers={"Referer": "http://localhost/settings/tokens"}):
        assert read(ticket("/settings/tokens/1/revoke", "Revoke", "Really?")).back == "/settings/tokens"
    with app.test_request_context("/credit/applications", method="POST"):
        assert read(ticket("/x", "Go", "Really?")).back == "/"
