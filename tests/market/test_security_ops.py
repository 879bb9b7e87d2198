"""ASVS L2 habits the other tests do not cover: a security log of sign-ins, failures,
lockouts, tokens, resets and new members (for the operator only, without secrets); rate
limits on the API per token, shared by replicas through Redis and harmless when Redis is
down; Secure cookies and HSTS behind HTTPS; no password, token or reset link in the logs."""
import re
import uuid

import redis
from sqlalchemy import select

from market.mail.models import OutboxEmail
from market.db import unit_of_work
from tests.conftest import redis_url
from tests.market.conftest import portal_sign_up

PASSWORD = "long-enough-pw"


def _signup(client, email="ann@example.test"):
    return portal_sign_up(client, {"kind": "factory", "organization_name": "Acme Works", "name": "Ann",
                                   "email": email, "password": PASSWORD})


def _events(app):
    from market.audit.models import SecurityEvent

    with app.app_context(), unit_of_work() as s:
        return [(e.action, e.detail) for e in s.scalars(select(SecurityEvent).order_by(SecurityEvent.id))]


def test_security_relevant_actions_land_in_the_security_log(app, client):
    _signup(client)
    page = client.post("/settings/tokens", data={"name": "erp", "scope": "write"}).get_data(as_text=True)
    token = re.search(r'id="new-token">(smm_[\w-]+)<', page).group(1)
    token_id = client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {token}"}).get_json()["items"][0]["id"]
    client.post(f"/settings/tokens/{token_id}/revoke")
    client.post("/settings/team", data={"name": "Bo", "email": "bo@example.test"})
    client.post("/logout")
    client.post("/login", data={"email": "nobody@example.test", "password": "guess-guess"})
    for _ in range(5):
        client.post("/login", data={"email": "ann@example.test", "password": "wrong-password"})
    client.post("/login", data={"email": "ann@example.test", "password": PASSWORD})  # locked
    client.post("/password/forgot", data={"email": "ann@example.test"})
    with app.app_context(), unit_of_work() as s:
        mail = s.scalars(select(OutboxEmail).where(OutboxEmail.subject == "Reset your password")).one()
    reset = re.search(r"token=([\w-]+)", mail.body).group(1)
    client.post("/password/reset", data={"token": reset, "password": "brand-new-password"})
    client.post("/login", data={"email": "ann@example.test", "password": "brand-new-password"})

    events = _events(app)
    actions = [a for a, _ in events]
    assert actions == ["account.created", "token.created", "token.revoked", "member.added", "logout",
                       "login.failed"] + ["login.failed"] * 5 + ["account.locked", "login.refused_locked",
                                                                 "password.reset_requested", "password.reset",
                                                                 "login.succeeded"]
    unknown = events[5][1]
    assert "unknown_login" in unknown and "nobody" not in str(unknown)
    assert dict(events)["member.added"] == {"role": "member"}
    text = str(events)
    for secret in (PASSWORD, "brand-new-password", "wrong-password", "guess-guess", token, reset):
        assert secret not in text
    assert token[:10] in text  # the public prefix identifies the token


def test_only_the_operator_reads_the_security_log(app, client, tenant):
    _signup(client)
    assert client.get("/operator/security-events").status_code == 403
    operator = tenant("operator")
    client.post("/logout")
    client.post("/login", data={"email": operator.email, "password": "correct-horse-1"})
    page = client.get("/operator/security-events?action=login.succeeded")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "login.succeeded" in body and "account.created" not in body.split("<table")[1]
    assert operator.email in body
    zh = client.get("/operator/security-events", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "安全日志" in zh


def test_api_calls_are_rate_limited_per_token(app, client, tenant):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    a, b = tenant("buyer"), tenant("buyer")
    codes = [client.get("/api/v1/orders", headers={"Authorization": f"Bearer {a.token}"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = client.get("/api/v1/orders", headers={"Authorization": f"Bearer {a.token}"})
    assert limited.mimetype == "application/problem+json" and int(limited.headers["Retry-After"]) > 0
    assert client.get("/api/v1/orders", headers={"Authorization": f"Bearer {b.token}"}).status_code == 200
    assert client.get("/healthz").status_code == 200 and client.get("/login").status_code == 200


def _app_on(database_url, tmp_path, **config):
    from market import create_app

    return create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "t", "VAR_DIR": str(tmp_path),
                       "UPLOAD_DIR": str(tmp_path / "u"), "LOG_LEVEL": "ERROR", "WTF_CSRF_ENABLED": False, **config})


def test_replicas_share_api_limits_through_redis(app, tenant, tmp_path):
    buyer = tenant("buyer")
    prefix = f"smm-test-{uuid.uuid4().hex[:8]}"
    shared = dict(RATELIMIT_STORAGE_URI=redis_url(13), RATELIMIT_KEY_PREFIX=prefix,
                  API_RATE_LIMIT="3 per minute")
    one, two = (_app_on(app.config["DATABASE_URL"], tmp_path, **shared) for _ in range(2))
    auth = {"Authorization": f"Bearer {buyer.token}"}
    try:
        assert [one.test_client().get("/api/v1/orders", headers=auth).status_code for _ in range(2)] == [200, 200]
        assert [two.test_client().get("/api/v1/orders", headers=auth).status_code for _ in range(2)] == [200, 429]
    finally:
        r = redis.Redis.from_url(redis_url(13))
        for key in r.scan_iter(f"*{prefix}*"):
            r.delete(key)
        one.extensions["db"].dispose(), two.extensions["db"].dispose()


def test_a_rate_limit_store_that_is_down_does_not_fail_requests(app, tenant, tmp_path):
    buyer = tenant("buyer")
    down = _app_on(app.config["DATABASE_URL"], tmp_path, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6399/0")
    client = down.test_client()
    assert client.get("/api/v1/orders", headers={"Authorization": f"Bearer {buyer.token}"}).status_code == 200
    assert client.post("/login", data={"email": buyer.email, "password": "correct-horse-1"}).status_code == 302
    down.extensions["db"].dispose()


def test_behind_https_cookies_are_secure_and_hsts_is_sent(app, tmp_path):
    secure = _app_on(app.config["DATABASE_URL"], tmp_path, SESSION_COOKIE_SECURE=True)
    client = secure.test_client()
    response = _signup(client)
    assert "Secure" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]
    assert secure.config["REMEMBER_COOKIE_SECURE"] is True
    assert "max-age=" in client.get("/login").headers["Strict-Transport-Security"]
    secure.extensions["db"].dispose()


def test_no_password_token_or_reset_link_reaches_the_logs(app, client):
    import io
    import logging

    logger = logging.getLogger("market")
    logger.setLevel(logging.DEBUG)  # the most talkative the app gets
    captured = io.StringIO()
    for handler in logger.handlers:  # the app's own handler and JSON formatter, into a buffer
        handler.setStream(captured)
    _signup(client)
    page = client.post("/settings/tokens", data={"name": "erp", "scope": "write"}).get_data(as_text=True)
    token = re.search(r'id="new-token">(smm_[\w-]+)<', page).group(1)
    page = client.post("/settings/tokens", data={"name": "ci", "scope": "read"}).get_data(as_text=True)
    api_made = re.search(r'id="new-token">(smm_[\w-]+)<', page).group(1)
    client.get("/api/v1/organizations/me", headers={"Authorization": f"Bearer {token}"})
    client.get("/api/v1/orders", headers={"Authorization": f"Bearer {api_made}"})
    client.get("/api/v1/orders", headers={"Authorization": "Bearer smm_not-a-real-token-at-all"})
    client.post("/logout")
    client.post("/login", data={"email": "ann@example.test", "password": "typo-password-1"})
    client.post("/password/forgot", data={"email": "ann@example.test"})
    with app.app_context(), unit_of_work() as s:
        mail = s.scalars(select(OutboxEmail).where(OutboxEmail.subject == "Reset your password")).one()
    reset = re.search(r"token=([\w-]+)", mail.body).group(1)
    client.get(f"/password/reset?token={reset}")
    client.post("/password/reset", data={"token": reset, "password": "brand-new-password"})
    client.post("/login", data={"email": "ann@example.test", "password": "brand-new-password"})
    logs = captured.getvalue()
    assert '"path": "/password/reset"' in logs  # the requests were logged ...
    for secret in (PASSWORD, "typo-password-1", "brand-new-password", token, api_made, "smm_not-a-real-token-at-all",
                   reset, app.config["SECRET_KEY"]):
        assert secret not in logs  # ... and no secret with them


def test_nul_characters_are_refused_as_bad_input_not_a_database_error(api, tenant):
    buyer = api(tenant("buyer"))
    renamed = buyer.patch("/api/v1/organizations/me", json={"name": "\u0000"})
    assert renamed.status_code == 422 and "name" in renamed.get_json()["errors"]
    searched = buyer.get("/api/v1/capacity/search?process=cnc%00")
    assert searched.status_code == 422 and "process" in searched.get_json()["errors"]
    order = buyer.post("/api/v1/orders", json={"title": "a\u0000b"})
    assert order.status_code == 422 and "title" in order.get_json()["errors"]


def _capture_market_logs():
    import io
    import logging

    captured = io.StringIO()
    for handler in logging.getLogger("market").handlers:
        handler.setStream(captured)
    return captured


def test_statement_values_configured_secrets_and_tokens_never_reach_a_log_line(app, client, api, tenant):
    import logging

    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from tests.conftest import order_body

    app.config.update(ANCHOR_RPC_URL="http://127.0.0.1:9/v3/rpc-api-key-0123456789", ANCHOR_PRIVATE_KEY="0x" + "ab" * 32)
    logs = _capture_market_logs()
    api(tenant("buyer")).post("/api/v1/orders", json=order_body())
    ready = client.get("/readyz").get_data(as_text=True)
    from market.ops import periodic

    with app.app_context():
        assert periodic.run("ledger_checkpoint")["anchored"] is None  # the chain is unreachable
        log = logging.getLogger("market.test")
        log.warning("a careless line with Authorization: Bearer smm_abcdefghijklmnop and %s", app.config["SECRET_KEY"])
        with unit_of_work() as s:
            try:
                s.execute(text("INSERT INTO outbox_emails (id, to_address, subject, body) VALUES (1, :t, :s, :b)"),
                          {"t": "a@x.test", "s": "s", "b": "token=row-value-secret-42"})  # created_at is NOT NULL
                s.flush()
            except DBAPIError:
                log.exception("insert failed")
    written = logs.getvalue()
    assert "insert failed" in written and "anchoring failed" in written
    for secret in ("rpc-api-key-0123456789", "smm_abcdefghijklmnop", app.config["SECRET_KEY"], "row-value-secret-42",
                   "ab" * 32):
        assert secret not in written
    assert "rpc-api-key-0123456789" not in ready and "unreachable" in ready
