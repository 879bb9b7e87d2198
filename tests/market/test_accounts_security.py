"""Issue #13, security: open redirects, reset-link host poisoning, sessions that outlive a
password reset or a logout, and answers that tell a stranger which addresses have accounts."""
import re

import pytest
from sqlalchemy import select

from market.mail.models import OutboxEmail
from market.db import unit_of_work
from tests.market.conftest import portal_sign_up

PASSWORD = "long-enough-pw"


def _signup(client, email="ann@example.test", **kw):
    return portal_sign_up(client, {"kind": "factory", "organization_name": "Acme Works", "name": "Ann",
                                   "email": email, "password": PASSWORD}, **kw)


def _mails(app, to="ann@example.test"):
    with app.app_context(), unit_of_work() as s:
        return list(s.scalars(select(OutboxEmail).where(OutboxEmail.to_address == to).order_by(OutboxEmail.id)))


def _reset_token(mail) -> str:
    return re.search(r"token=([\w-]+)", mail.body).group(1)


HOSTILE_NEXT = ["/\t/evil.example", "/\n/evil.example", "//evil.example", "/\\evil.example", "\\/evil.example",
                " //evil.example", "https://evil.example/", "/\x00/evil.example", "/\x0b/evil.example"]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_login_never_redirects_off_site_whatever_the_next_parameter_hides(client, target):
    _signup(client)
    client.post("/logout")
    response = client.post("/login", query_string={"next": target}, data={"email": "ann@example.test",
                                                                          "password": PASSWORD})
    if "\x00" in target:  # the input guard refuses a NUL anywhere in a request before the view runs
        assert response.status_code == 422 and "Location" not in response.headers
        return
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_the_language_switch_never_redirects_off_site(client, target):
    response = client.post("/lang/en", data={"next": target})
    if "\x00" in target:  # refused by the input guard (see above)
        assert response.status_code == 422 and "Location" not in response.headers
        return
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_a_local_next_path_with_its_query_is_kept(client):
    _signup(client)
    client.post("/logout")
    response = client.post("/login?next=%2Forders%3Fpage%3D2", data={"email": "ann@example.test", "password": PASSWORD})
    assert response.headers["Location"] == "/orders?page=2"
    assert client.post("/lang/zh_CN", data={"next": "/orders?page=2"}).headers["Location"] == "/orders?page=2"


@pytest.mark.parametrize("headers", [{"Host": "evil.example"}, {"X-Forwarded-Host": "evil.example"},
                                     {"Host": "evil.example", "X-Forwarded-Proto": "http"}])
def test_reset_and_invitation_links_use_the_configured_address_not_the_request_host(app, client, headers):
    app.config["PUBLIC_BASE_URL"] = "https://market.example.com/"
    _signup(client, headers=headers)  # the session cookie then belongs to the host the requests name
    client.post("/settings/team", data={"name": "Bo", "email": "bo@example.test"}, headers=headers)
    client.post("/password/forgot", data={"email": "ann@example.test"}, headers=headers)
    for mail in (_mails(app)[-1], _mails(app, "bo@example.test")[-1]):
        link = re.search(r"\S+token=\S+", mail.body).group(0)
        assert link.startswith("https://market.example.com/password/reset?token=") and "evil" not in mail.body


def test_without_a_public_address_links_use_base_url(app, client):
    app.config.update(PUBLIC_BASE_URL="", BASE_URL="http://127.0.0.1:8000")
    _signup(client)
    client.post("/logout")
    client.post("/password/forgot", data={"email": "ann@example.test"}, headers={"Host": "evil.example"})
    assert "http://127.0.0.1:8000/password/reset?token=" in _mails(app)[-1].body


def _security_ips(app):
    from market.audit.models import SecurityEvent

    with app.app_context(), unit_of_work() as s:
        return [e.ip for e in s.scalars(select(SecurityEvent).order_by(SecurityEvent.id))]


def test_forwarded_headers_count_only_behind_the_configured_number_of_proxies(database_url, tmp_path):
    from market import create_app

    def app_with(**config):
        return create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "t", "VAR_DIR": str(tmp_path),
                           "WTF_CSRF_ENABLED": False, "LOG_LEVEL": "ERROR", **config})

    forwarded = {"X-Forwarded-For": "203.0.113.9, 198.51.100.7"}
    direct, proxied = app_with(), app_with(TRUSTED_PROXIES=1)
    try:
        direct.test_client().post("/login", data={"email": "x@example.test", "password": "p"}, headers=forwarded)
        proxied.test_client().post("/login", data={"email": "x@example.test", "password": "p"}, headers=forwarded)
        assert _security_ips(direct) == ["127.0.0.1", "198.51.100.7"]  # one proxy: the last hop it saw
    finally:
        direct.extensions["db"].dispose(), proxied.extensions["db"].dispose()


@pytest.mark.parametrize("binds, env, refused", [
    (["127.0.0.1:8000"], {}, False),
    (["unix:/run/market.sock"], {}, False),
    (["0.0.0.0:8000"], {}, True),
    (["127.0.0.1:8000", "10.0.0.5:8000"], {}, True),
    (["0.0.0.0:8000"], {"PUBLIC_BASE_URL": "https://market.example.com"}, False),
])
def test_gunicorn_refuses_to_serve_beyond_loopback_without_a_public_address(binds, env, refused):
    from market.gunicorn_conf import require_public_address

    if refused:
        with pytest.raises(SystemExit, match="PUBLIC_BASE_URL"):
            require_public_address(binds, env)
    else:
        require_public_address(binds, env)


def _reset_links(app, client, times):
    for _ in range(times):
        client.post("/password/forgot", data={"email": "ann@example.test"})
    return [_reset_token(m) for m in _mails(app) if m.subject == "Reset your password"]


def test_using_a_reset_link_kills_every_older_outstanding_one(app, client):
    _signup(client)
    client.post("/logout")
    older, newer = _reset_links(app, client, 2)
    assert client.post("/password/reset", data={"token": newer, "password": "brand-new-password"}).status_code == 302
    assert client.post("/password/reset", data={"token": older, "password": "attacker-password"}).status_code == 422
    assert client.post("/login", data={"email": "ann@example.test", "password": "brand-new-password"}).status_code == 302


def _copy_of_session(app, client):
    """Another browser holding a copy of `client`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_a_copied_session_cookie_stops_working_at_logout(app, client):
    _signup(client)
    thief = _copy_of_session(app, client)
    assert thief.get("/dashboard").status_code == 200
    client.post("/logout")
    assert thief.get("/dashboard").status_code == 302


def test_a_password_reset_ends_every_session_of_the_account(app, client):
    _signup(client)
    other_device = _copy_of_session(app, client)
    client.post("/logout")
    client.post("/login", data={"email": "ann@example.test", "password": PASSWORD})
    laptop = _copy_of_session(app, client)
    [token] = _reset_links(app, app.test_client(), 1)
    assert app.test_client().post("/password/reset", data={"token": token, "password": "brand-new-password"}).status_code == 302
    for browser in (client, laptop, other_device):
        assert browser.get("/dashboard").status_code == 302


def test_an_identity_from_before_logout_no_longer_loads(app, client):
    """What a session or remember-me cookie carries (get_id) names the session version."""
    from market.accounts import services

    _signup(client)
    with app.app_context():
        ident = services.authenticate("ann@example.test", PASSWORD).get_id()
        assert services.load_session_user(ident) is not None
    client.post("/logout")
    with app.app_context():
        assert services.load_session_user(ident) is None


def _login(client, email, password="wrong-password", source="10.0.0.66"):
    return client.post("/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": source})


def test_an_unknown_address_is_locked_out_exactly_like_a_real_account(client):
    _signup(client)
    client.post("/logout")
    answers = {email: [(r.status_code, "Too many failed attempts" in r.get_data(as_text=True))
                       for r in (_login(client, email) for _ in range(7))]
               for email in ("ann@example.test", "nobody@example.test")}
    assert answers["ann@example.test"] == answers["nobody@example.test"]
    assert answers["nobody@example.test"] == [(401, False)] * 5 + [(401, True)] * 2


def test_a_stranger_cannot_lock_the_owner_out(client):
    _signup(client)
    client.post("/logout")
    for _ in range(6):
        _login(client, "ann@example.test", source="203.0.113.9")
    assert "Too many" in _login(client, "ann@example.test", PASSWORD, source="203.0.113.9").get_data(as_text=True)
    assert _login(client, "ann@example.test", PASSWORD, source="198.51.100.20").status_code == 302


def test_each_lockout_of_a_source_lasts_twice_as_long_as_the_one_before(app, client):
    from datetime import timedelta

    from market.accounts.models import LoginThrottle
    from market.db import utcnow

    def lock_minutes():
        with app.app_context(), unit_of_work() as s:
            row = s.scalars(select(LoginThrottle)).one()
            minutes = round((row.locked_until - utcnow()).total_seconds() / 60)
            row.locked_until = utcnow() - timedelta(seconds=1)  # let it run out
            s.commit()
            return minutes

    _signup(client)
    client.post("/logout")
    for _ in range(5):
        _login(client, "ann@example.test")
    minutes = [lock_minutes()]
    for _ in range(3):
        _login(client, "ann@example.test")
        minutes.append(lock_minutes())
    assert minutes == [1, 2, 4, 8]
    assert _login(client, "ann@example.test", PASSWORD).status_code == 302  # after the lock, the owner gets in


def _statements_of(app, request):
    """The SQL statements (text, without values) one request runs (in its own thread: the
    mail it queued is sent meanwhile by a background worker, which does not count)."""
    import threading

    from sqlalchemy import event

    seen = []
    engine = app.extensions["db"].engine
    request_thread = threading.get_ident()

    def record(conn, cursor, statement, parameters, context, executemany):
        if threading.get_ident() == request_thread:
            seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        response = request()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return response, seen


def test_a_reset_request_does_the_same_work_and_answers_the_same_for_unknown_addresses(app, client):
    """Equal work, not a stopwatch: the same statements in the same order (so the same
    commits and rows written) for an address with an account and one without."""
    _signup(client)
    client.post("/logout")
    known, known_sql = _statements_of(app, lambda: client.post("/password/forgot", data={"email": "ann@example.test"}))
    unknown, unknown_sql = _statements_of(app, lambda: client.post("/password/forgot",
                                                                   data={"email": "nobody@example.test"}))
    assert known_sql == unknown_sql and any(s.startswith("INSERT") for s in known_sql)
    assert (known.status_code, known.headers["Location"]) == (unknown.status_code, unknown.headers["Location"])
    nobody = _mails(app, "nobody@example.test")
    assert len(nobody) == 1 and "token=" not in nobody[0].body  # told that no account uses it, no link


def _signup_form(email, organization_name="Acme Works"):
    return {"kind": "factory", "organization_name": organization_name, "name": "Ann", "email": email,
            "password": PASSWORD}


def test_signing_up_with_a_taken_address_answers_exactly_like_a_new_one(app, client):
    _signup(client)
    client.post("/logout")
    taken, taken_sql = _statements_of(app, lambda: client.post("/signup", data=_signup_form("ann@example.test", "X")))
    new, new_sql = _statements_of(app, lambda: client.post("/signup", data=_signup_form("cy@example.test", "Y")))
    assert (taken.status_code, taken.headers.get("Location")) == (new.status_code, new.headers.get("Location"))
    assert taken_sql == new_sql
    assert client.get("/dashboard").status_code == 302  # nobody signed in yet
    owner_note = _mails(app)[-1]
    assert "already have an account" in owner_note.body and "token=" not in owner_note.body
    confirm = re.search(r"(/signup/confirm\?token=[\w-]+)", _mails(app, "cy@example.test")[-1].body).group(1)
    assert client.post(confirm).status_code == 302 and "Y" in client.get("/dashboard").get_data(as_text=True)
    assert client.post(confirm).status_code == 422  # once


def test_a_refused_login_keeps_the_address_never_the_password_and_reads_the_same_for_any_address(client):
    _signup(client)
    client.post("/logout")
    pages = {}
    for email in ("ann@example.test", "nobody@example.test"):
        r = _login(client, email, password="typed-secret-9")
        page = r.get_data(as_text=True)
        assert r.status_code == 401 and f'value="{email}"' in page and "typed-secret-9" not in page
        pages[email] = re.findall(r'<p class="err"[^>]*>([^<]+)</p>', page)
    assert pages["ann@example.test"] == pages["nobody@example.test"] == ["Wrong email or password."]
