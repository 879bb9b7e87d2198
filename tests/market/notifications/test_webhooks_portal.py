"""The webhooks page of the portal: owners add, test, read the log and redeliver; in both
languages; usable on a phone (no fixed widths, tables scroll)."""
from __future__ import annotations

import re
from datetime import timedelta

from market.accounts import services as accounts


def sign_in(client, who):
    assert client.post("/login", data={"email": who.email, "password": "correct-horse-1"}).status_code == 302


def test_an_owner_adds_an_endpoint_sees_its_secret_once_and_reads_the_log(client, owner, receiver, tell, sweep, t0):
    sign_in(client, owner)
    page = client.post("/settings/webhooks", data={"channel": "standard", "url": receiver.url + "/in",
                                                   "language": "en", "kinds": ["order.shipped", "qc.failed"]})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    secret = re.search(r'id="new-secret"[^>]*>(whsec_[^<]+)<', html).group(1)
    assert secret not in client.get("/settings/webhooks").get_data(as_text=True)
    endpoint_id = re.search(r'/settings/webhooks/([0-9a-f-]{36})"', html).group(1)

    tell(owner.actor.org_id, "order.shipped", event_id="evt_portal")
    sweep(t0)
    log = client.get(f"/settings/webhooks/{endpoint_id}").get_data(as_text=True)
    assert "evt_portal" in log and "delivered" in log and "200" in log
    delivery_id = re.search(r'/settings/webhooks/deliveries/([0-9a-f-]{36})/redeliver', log).group(1)
    assert client.post(f"/settings/webhooks/deliveries/{delivery_id}/redeliver",
                       data={"endpoint_id": endpoint_id}).status_code == 302
    sweep(t0 + timedelta(seconds=1))
    assert receiver.ids() == ["evt_portal", "evt_portal"]
    assert client.post(f"/settings/webhooks/{endpoint_id}/test").status_code == 302
    sweep(t0 + timedelta(seconds=2))
    assert receiver.requests[-1].json()["type"] == "webhook.test"


def test_bad_input_in_the_form_is_shown_at_its_field(client, owner, hooks):
    hooks.config["WEBHOOK_ALLOWED_HOSTS"] = []
    sign_in(client, owner)
    page = client.post("/settings/webhooks", data={"channel": "standard", "url": "http://127.0.0.1/x",
                                                   "language": "en", "kinds": ["order.shipped"]})
    assert page.status_code == 422
    assert 'data-error-for="url"' in page.get_data(as_text=True)
    page = client.post("/settings/webhooks", data={"channel": "standard", "url": "https://example.com/x", "language": "en"})
    assert page.status_code == 422 and 'data-error-for="kinds"' in page.get_data(as_text=True)


def test_the_page_speaks_chinese_and_fits_a_phone(client, owner, hooks):
    sign_in(client, owner)
    client.post("/lang/zh_CN", data={"next": "/settings/webhooks"})
    html = client.get("/settings/webhooks").get_data(as_text=True)
    assert "Webhook 与群机器人" in html and "钉钉机器人" in html and "订单已发货" in html
    assert "table-scroll" in html and not re.search(r"width:\s*\d{3,}px", html)


def test_a_member_may_not_open_the_page_nor_sees_its_link(app, client, owner):
    from types import SimpleNamespace

    with app.app_context():
        accounts.create_user(organization_id=owner.actor.org_id, email="mem@example.test", password="correct-horse-1",
                             name="M", role="member")
    sign_in(client, owner)
    assert 'href="/settings/webhooks"' in client.get("/dashboard").get_data(as_text=True)
    client.post("/logout")
    sign_in(client, SimpleNamespace(email="mem@example.test"))
    assert 'href="/settings/webhooks"' not in client.get("/dashboard").get_data(as_text=True)
    assert client.get("/settings/webhooks").status_code == 403
