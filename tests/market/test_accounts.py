import re

import pytest
from sqlalchemy import func, select

from market.accounts.models import User
from market.mail.models import OutboxEmail
from market.db import unit_of_work
from tests.market.conftest import portal_sign_up


def _signup(client, **over):
    data = {"kind": "factory", "organization_name": "Acme Works", "name": "Ann", "email": "ann@example.test",
            "password": "long-enough-pw"}
    data.update(over)
    return portal_sign_up(client, data)


def test_sign_up_logs_the_new_owner_in_and_stores_an_argon2_hash(client, app):
    response = _signup(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")
    assert "Acme Works" in client.get("/dashboard").get_data(as_text=True)
    with app.app_context(), unit_of_work() as s:
        user = s.scalar(select(User).where(User.email == "ann@example.test"))
        assert user.password_hash.startswith("$argon2id$") and user.role == "owner"


@pytest.mark.parametrize("over, field", [
    ({"email": "not-an-email"}, "email"),
    ({"password": "short"}, "password"),
    ({"kind": "operator"}, "kind"),
    ({"organization_name": ""}, "organization_name"),
])
def test_sign_up_with_bad_fields_shows_the_error_next_to_the_field(client, over, field):
    response = _signup(client, **over)
    assert response.status_code == 422
    assert f'data-error-for="{field}"' in response.get_data(as_text=True)


def test_an_email_can_register_only_once(client, app):
    _signup(client)
    client.post("/logout")
    response = _signup(client, organization_name="Other")  # answered like a new address; the owner is told
    assert response.status_code == 302 and client.get("/dashboard").status_code == 302
    with app.app_context(), unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(User)) == 1


def test_wrong_passwords_lock_the_account_with_backoff(client):
    _signup(client)
    client.post("/logout")
    for _ in range(5):
        assert client.post("/login", data={"email": "ann@example.test", "password": "wrong-password"}).status_code == 401
    locked = client.post("/login", data={"email": "ann@example.test", "password": "long-enough-pw"})
    assert locked.status_code == 401 and "Too many failed attempts" in locked.get_data(as_text=True)


def test_password_reset_goes_through_the_outbox_and_works_once(client, app):
    _signup(client)
    client.post("/logout")
    client.post("/password/forgot", data={"email": "ann@example.test"})
    client.post("/password/forgot", data={"email": "nobody@example.test"})  # a note without a link
    with app.app_context(), unit_of_work() as s:
        mails = list(s.scalars(select(OutboxEmail).where(OutboxEmail.subject == "Reset your password")
                               .order_by(OutboxEmail.id)))
    assert [m.to_address for m in mails] == ["ann@example.test", "nobody@example.test"]
    assert "token=" not in mails[1].body
    token = re.search(r"token=([\w-]+)", mails[0].body).group(1)
    assert client.post("/password/reset", data={"token": token, "password": "brand-new-password"}).status_code == 302
    assert client.post("/password/reset", data={"token": token, "password": "another-password"}).status_code == 422
    assert client.post("/login", data={"email": "ann@example.test", "password": "brand-new-password"}).status_code == 302


def test_api_token_is_shown_once_and_stored_hashed(client):
    _signup(client)
    page = client.post("/settings/tokens", data={"name": "erp", "scope": "write"}).get_data(as_text=True)
    token = re.search(r'id="new-token">(smm_[\w-]+)<', page).group(1)
    assert client.get("/api/v1/organizations/me", headers={"Authorization": f"Bearer {token}"}).get_json()["name"] == "Acme Works"
    assert token not in client.get("/settings/tokens").get_data(as_text=True)


def test_forms_without_a_csrf_token_are_refused(app):
    app.config["WTF_CSRF_ENABLED"] = True
    response = app.test_client().post("/signup", data={"kind": "buyer"})
    assert response.status_code == 400


def test_pages_need_a_login(client):
    response = client.get("/orders")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_language_follows_the_browser_and_the_switch(client):
    assert "登录" in client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    client.post("/lang/en", data={"next": "/login"})
    assert "Log in" in client.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)


def test_an_owner_adds_a_member_who_sets_a_password_and_may_not_add_more(client, app):
    _signup(client)
    assert client.post("/settings/team", data={"name": "Bo", "email": "bo@example.test"}).status_code == 200
    with app.app_context(), unit_of_work() as s:
        mail = s.scalars(select(OutboxEmail).where(OutboxEmail.to_address == "bo@example.test")).one()
        bo = s.scalar(select(User).where(User.email == "bo@example.test"))
        assert bo.role == "member"
    token = re.search(r"token=([\w-]+)", mail.body).group(1)
    client.post("/logout")
    assert client.post("/password/reset", data={"token": token, "password": "bo-chose-this-one"}).status_code == 302
    assert client.post("/login", data={"email": "bo@example.test", "password": "bo-chose-this-one"}).status_code == 302
    assert "Acme Works" in client.get("/dashboard").get_data(as_text=True)
    refused = client.post("/settings/team", data={"name": "Cy", "email": "cy@example.test"})
    assert refused.status_code == 403 and "only an owner" in refused.get_data(as_text=True)


def test_pages_carry_security_headers_and_a_strict_csp(client):
    headers = client.get("/login").headers
    assert "script-src 'self';" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"


def test_session_cookie_is_http_only_and_same_site(client):
    _signup(client)
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"


def test_login_attempts_are_rate_limited(app, client):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    codes = [client.post("/login", data={"email": "x@example.test", "password": "nope-nope-nope"}).status_code
             for _ in range(4)]
    assert codes == [401, 401, 401, 429]


def test_passwords_hash_at_the_configured_argon2_cost_and_hashes_of_another_cost_still_verify(app):
    from market import settings
    from market.accounts.passwords import hash_password, verify_password

    defaults = {name: settings.Settings.model_fields[name].default
                for name in ("PASSWORD_HASH_TIME_COST", "PASSWORD_HASH_MEMORY_KIB", "PASSWORD_HASH_PARALLELISM")}
    assert defaults == {"PASSWORD_HASH_TIME_COST": 3, "PASSWORD_HASH_MEMORY_KIB": 65536,
                        "PASSWORD_HASH_PARALLELISM": 4}  # RFC 9106's second recommended option
    with app.app_context():
        cheap = hash_password("long-enough-pw")  # the suite's cost (tests/conftest.py)
        app.config.update(defaults)
        strong = hash_password("long-enough-pw")
        assert cheap.startswith("$argon2id$v=19$m=8,t=1,p=1$")
        assert strong.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        assert verify_password(cheap, "long-enough-pw") and verify_password(strong, "long-enough-pw")
        assert not verify_password(cheap, "long-enough-px") and not verify_password(None, "long-enough-pw")
    with pytest.raises(settings.SettingsError, match="PASSWORD_HASH_MEMORY_KIB: .*8 KiB per lane"):
        settings.load({"PASSWORD_HASH_PARALLELISM": 4, "PASSWORD_HASH_MEMORY_KIB": 16}, env_file=None)
