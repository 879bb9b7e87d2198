"""Registering endpoints: the SSRF guard and bad input answer 4xx naming the field."""
from __future__ import annotations

import base64

import pytest

from market.accounts import services as accounts
from market.notifications import ssrf

KINDS = ["order.shipped"]


@pytest.fixture
def production(app):
    """What a production install runs with: https only, no private targets, no allow-list."""
    app.config.update(WEBHOOK_REQUIRE_HTTPS=True, WEBHOOK_ALLOW_PRIVATE_NETWORKS=False, WEBHOOK_ALLOWED_HOSTS=[])
    return app


@pytest.mark.parametrize("url, message", [
    ("http://hooks.example.com/in", "https"),
    ("https://127.0.0.1/in", "127.0.0.1"),
    ("https://localhost:8443/in", "localhost"),
    ("https://10.1.2.3/in", "10.1.2.3"),
    ("https://192.168.0.10/in", "192.168.0.10"),
    ("https://172.16.5.5/in", "172.16.5.5"),
    ("https://169.254.169.254/latest/meta-data", "169.254.169.254"),  # cloud metadata
    ("https://[::1]/in", "::1"),
    ("https://[::ffff:127.0.0.1]/in", "127.0.0.1"),
    ("https://[fe80::1]/in", "fe80::1"),
    ("https://224.0.0.1/in", "224.0.0.1"),  # multicast
    ("https://0.0.0.0/in", "0.0.0.0"),
    ("https://100.64.0.1/in", "100.64.0.1"),  # carrier-grade NAT
    ("ftp://example.com/in", "https"),
    ("https://user:pw@example.com/in", "password"),
    ("https://no-such-host.invalid/in", "does not resolve"),
    ("not a url", "https"),
])
def test_a_target_the_platform_must_not_reach_is_refused_with_the_field(production, api, tenant, url, message):
    owner = tenant("buyer")
    answer = api(owner).post("/api/v1/webhooks", json={"url": url, "kinds": KINDS})
    assert answer.status_code == 422, answer.get_json()
    assert answer.content_type == "application/problem+json"
    assert message in " ".join(answer.get_json()["errors"]["url"])


@pytest.mark.parametrize("body, field", [
    ({"kinds": ["no.such.kind"]}, "kinds"),
    ({"kinds": []}, "kinds"),
    ({"kinds": ["webhook.test"]}, "kinds"),  # sent by the test button, not subscribable
    ({"secret": "whsec_" + base64.b64encode(b"k" * 65).decode()}, "secret"),  # oversized
    ({"secret": "whsec_" + base64.b64encode(b"k" * 8).decode()}, "secret"),  # too short
    ({"secret": "whsec_not base64!"}, "secret"),
    ({"secret": "s" * 600}, "secret"),
    ({"channel": "dingtalk", "secret": "S" * 300}, "secret"),
    ({"channel": "telegram"}, "channel"),
    ({"language": "fr"}, "language"),
    ({"url": "https://example.com/" + "a" * 2100}, "url"),
    ({"surprise": 1}, "surprise"),
])
def test_bad_input_answers_422_naming_the_field(production, api, tenant, body, field, monkeypatch):
    monkeypatch.setattr(ssrf.socket, "getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("93.184.215.14", 443))])
    owner = tenant("buyer")
    answer = api(owner).post("/api/v1/webhooks", json={"url": "https://hooks.example.com/in", "kinds": KINDS, **body})
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["errors"]


def test_a_public_https_target_is_accepted_and_its_secret_shown_once(production, api, tenant, monkeypatch):
    monkeypatch.setattr(ssrf.socket, "getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("93.184.215.14", 443))])
    owner = tenant("buyer")
    created = api(owner).post("/api/v1/webhooks", json={"url": "https://hooks.example.com/in",
                                                          "kinds": ["order.shipped", "order.booked"]})
    assert created.status_code == 201
    body = created.get_json()
    assert body["secret"].startswith("whsec_") and len(base64.b64decode(body["secret"][6:])) == 32
    assert body["kinds"] == ["order.booked", "order.shipped"]  # catalogue order
    assert "secret" not in api(owner).get(f"/api/v1/webhooks/{body['id']}").get_json()
    assert all("secret" not in e for e in api(owner).get("/api/v1/webhooks").get_json()["items"])


def test_one_resolved_private_address_is_enough_to_refuse(production, api, tenant, monkeypatch):
    monkeypatch.setattr(ssrf.socket, "getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("93.184.215.14", 443)),
                                                                     (2, 1, 6, "", ("10.0.0.7", 443))])
    answer = api(tenant("buyer")).post("/api/v1/webhooks", json={"url": "https://mixed.example.com/", "kinds": KINDS})
    assert answer.status_code == 422 and "10.0.0.7" in answer.get_json()["errors"]["url"][0]


def test_the_allow_list_admits_a_named_private_host_for_tests_and_on_prem(app, api, tenant):
    app.config.update(WEBHOOK_REQUIRE_HTTPS=True, WEBHOOK_ALLOWED_HOSTS=["127.0.0.1"])
    owner = tenant("buyer")
    assert api(owner).post("/api/v1/webhooks", json={"url": "https://127.0.0.1:9/in", "kinds": KINDS}).status_code == 201
    assert api(owner).post("/api/v1/webhooks", json={"url": "https://10.0.0.1/in", "kinds": KINDS}).status_code == 422
    app.config.update(WEBHOOK_ALLOW_PRIVATE_NETWORKS=True)
    assert api(owner).post("/api/v1/webhooks", json={"url": "https://10.0.0.1/in", "kinds": KINDS}).status_code == 201


def test_only_an_owner_manages_webhooks_and_only_its_own(app, api, tenant, client):
    app.config.update(WEBHOOK_REQUIRE_HTTPS=False, WEBHOOK_ALLOWED_HOSTS=["127.0.0.1"])
    owner, stranger = tenant("factory"), tenant("buyer")
    endpoint = api(owner).post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/", "kinds": KINDS}).get_json()
    with app.app_context():
        member = accounts.add_member(owner.actor, email="m@example.test", name="M", set_password_url_for=lambda t: t)
        _, token = accounts.create_api_token(accounts.actor_of_id(member.id), name="m", scope="write")
    assert api(token).get("/api/v1/webhooks").status_code == 403
    assert api(token).post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/", "kinds": KINDS}).status_code == 403
    assert api(stranger).get(f"/api/v1/webhooks/{endpoint['id']}").status_code == 404
    assert api(stranger).delete(f"/api/v1/webhooks/{endpoint['id']}").status_code == 404
    assert api(owner.read_token).post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/", "kinds": KINDS}).status_code == 403
    assert api(owner).delete(f"/api/v1/webhooks/{endpoint['id']}").status_code == 204
    assert api(owner).get("/api/v1/webhooks").get_json()["items"] == []


def test_the_catalogue_of_kinds_is_served(api, tenant):
    kinds = {k["kind"] for k in api(tenant("buyer")).get("/api/v1/webhooks/kinds?per_page=100").get_json()["items"]}
    assert {"quote.invited", "quotes.ready", "replan.failed", "machine.down", "dispute.opened"} <= kinds
    assert "webhook.test" not in kinds
