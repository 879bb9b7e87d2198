"""The notification centre (bell, list, mark read, preferences, API), idempotent fan-out, quiet
hours on an injected clock, and the kinds table in docs/notifications.md."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import order_body
from tests.market.notify_helpers import mails, set_locale, told

DOC = Path(__file__).resolve().parents[2] / "docs" / "notifications.md"


def _login(app, tenant):
    client = app.test_client()
    assert client.post("/login", data={"email": tenant.email, "password": "correct-horse-1"}).status_code == 302
    return client


def _invited(app, api, tenant, two_sites, title="Pump bracket"):
    buyer = api(tenant("buyer", "Acme Pumps"))
    order = buyer.post("/api/v1/orders", json=order_body(title=title)).get_json()
    mill = two_sites[0]
    assert buyer.post(f"/api/v1/orders/{order['id']}/quote-requests",
                      json={"factory_id": mill["factory"]["id"]}).status_code == 201
    return order, mill


# -- the catalogue and its docs -----------------------------------------------------------------

def test_the_kinds_table_in_docs_matches_the_catalogue(app):
    from market.notifications.catalogue import markdown_table

    documented = re.search(r"<!-- kinds:begin -->\n(.*?)<!-- kinds:end -->", DOC.read_text(encoding="utf-8"), re.S)
    with app.app_context():
        assert documented and documented.group(1) == markdown_table(), (
            "docs/notifications.md is out of date: put the output of `market notifications` between the kinds markers")


def test_every_kind_renders_in_both_languages_and_names_a_known_audience_and_link(app):
    from flask_babel import force_locale

    from market.notifications import catalogue

    assert len({k.name for k in catalogue.KINDS}) == len(catalogue.KINDS)
    with app.app_context(), force_locale("en"):
        for kind in catalogue.KINDS:
            assert set(kind.audience) <= set(catalogue.AUDIENCES) and kind.link in catalogue.LINKS
            params = {k: "x" for k in re.findall(r"%\((\w+)\)s", str(kind.title) + str(kind.body))}
            en = catalogue.render(kind.name, params, "en")
            zh = catalogue.render(kind.name, params, "zh_CN")
            assert en[0] and en[1] and zh[0] != en[0], kind.name  # translated


# -- idempotency ------------------------------------------------------------------------------

def test_the_same_outbox_row_delivered_twice_makes_one_notification_and_one_mail(app, api, tenant, two_sites):
    from market import bus
    from market.db import unit_of_work
    from market.notifications.models import Notification, NotificationDelivery

    order, mill = _invited(app, api, tenant, two_sites)
    with app.app_context(), unit_of_work() as s:
        [row] = s.scalars(select(bus.OutboxMessage).where(
            bus.OutboxMessage.handler == "market.notifications.handlers.on_quote_requested")).all()
        assert row.status == "done"
        # as if the process died after the handler, before marking its row: due again
        row.status, row.available_at = "pending", row.created_at
        s.commit()
        row_id = row.id
    with app.app_context():
        assert bus.deliver(row_id) == "done"
        with unit_of_work() as s:
            assert s.scalar(select(func.count()).select_from(Notification)
                            .where(Notification.kind == "quote.invited")) == 1
            assert s.scalar(select(func.count()).select_from(NotificationDelivery)
                            .where(NotificationDelivery.outbox_id == row_id)) == 2  # in-app + e-mail
    assert len(told(app, mill["tenant"])) == 1 and len(mails(app, mill["tenant"])) == 1


def test_a_crash_before_the_handler_ran_still_tells_once_the_sweep_runs(app, api, tenant, two_sites):
    from market import bus

    app.config["EVENTS_INLINE"] = False  # as if the process died right after the commit
    order, mill = _invited(app, api, tenant, two_sites)
    assert told(app, mill["tenant"]) == []
    with app.app_context():
        assert set(bus.deliver_due()) == {"done"}  # the invitation (and the buyer's sign-up events)
        assert bus.deliver_due() == {}
    assert [n["kind"] for n in told(app, mill["tenant"])] == ["quote.invited"]


# -- quiet hours (an injected clock; never the wall clock) ------------------------------------

@pytest.mark.parametrize("now,start,end,tz,expected", [
    ("2026-03-02T15:30:00+00:00", "22:00", "07:00", "Asia/Shanghai", "2026-03-02T23:00:00+00:00"),  # 23:30 local
    ("2026-03-02T20:00:00+00:00", "22:00", "07:00", "Asia/Shanghai", "2026-03-02T23:00:00+00:00"),  # 04:00 local
    ("2026-03-02T23:00:00+00:00", "22:00", "07:00", "Asia/Shanghai", "2026-03-02T23:00:00+00:00"),  # 07:00: over
    ("2026-03-02T04:00:00+00:00", "22:00", "07:00", "Asia/Shanghai", "2026-03-02T04:00:00+00:00"),  # noon: not quiet
    ("2026-03-02T13:00:00+00:00", "12:00", "14:00", "Europe/Berlin", "2026-03-02T13:00:00+00:00"),  # 14:00 CET: over
    ("2026-03-02T12:30:00+00:00", "12:00", "14:00", "Europe/Berlin", "2026-03-02T13:00:00+00:00"),  # 13:30 CET
    ("2026-03-02T12:30:00+00:00", None, None, "Asia/Shanghai", "2026-03-02T12:30:00+00:00"),
])
def test_quiet_hours_hold_mail_until_they_end_in_the_users_time_zone(now, start, end, tz, expected):
    from market.notifications.quiet import release_at

    assert release_at(datetime.fromisoformat(now), start, end, tz) == datetime.fromisoformat(expected)


def test_a_mail_in_quiet_hours_waits_and_in_app_does_not(app, api, tenant, two_sites):
    from market.notifications.fanout import send_due

    night = datetime(2026, 3, 2, 15, 30, tzinfo=timezone.utc)  # 23:30 in Shanghai
    app.config["NOTIFICATIONS_CLOCK"] = lambda: night
    mill = two_sites[0]
    client = _login(app, mill["tenant"])
    saved = client.post("/settings/notifications", data={"email:quote.invited": "on", "quiet_start": "22:00",
                                                          "quiet_end": "07:00", "time_zone": "Asia/Shanghai"})
    assert saved.status_code == 302
    _invited(app, api, tenant, two_sites)
    assert [n["kind"] for n in told(app, mill["tenant"])] == ["quote.invited"]  # the bell does not wait
    [mail] = mails(app, mill["tenant"])
    assert mail["status"] == "pending" and mail["send_after"] == datetime(2026, 3, 2, 23, 0, tzinfo=timezone.utc)
    with app.app_context():
        assert send_due(at=night)["sent"] == 0
        assert send_due(at=datetime(2026, 3, 2, 23, 0, tzinfo=timezone.utc))["sent"] == 1
    assert mails(app, mill["tenant"])[0]["status"] == "sent"


def test_a_kind_switched_off_records_no_mail_and_a_digest_holds_them(app, api, tenant, two_sites):
    mill = two_sites[0]
    client = _login(app, mill["tenant"])
    assert client.post("/settings/notifications", data={"time_zone": "Asia/Shanghai"}).status_code == 302  # all off
    _invited(app, api, tenant, two_sites, title="First")
    assert mails(app, mill["tenant"]) == [] and len(told(app, mill["tenant"])) == 1
    client.post("/settings/notifications", data={"email:quote.invited": "on", "digest": "on", "time_zone": "UTC"})
    _invited(app, api, tenant, two_sites, title="Second")
    assert [m["status"] for m in mails(app, mill["tenant"])] == ["digest"]


@pytest.mark.parametrize("form,field", [
    ({"quiet_start": "25:00", "quiet_end": "07:00", "time_zone": "UTC"}, "quiet_start"),
    ({"quiet_start": "22:00", "time_zone": "UTC"}, "quiet_end"),
    ({"time_zone": "Mars/Olympus"}, "time_zone"),
])
def test_bad_preferences_are_refused_with_the_field(app, tenant, form, field):
    client = _login(app, tenant("buyer"))
    page = client.post("/settings/notifications", data=form)
    assert page.status_code == 422 and f'data-error-for="{field}"' in page.get_data(as_text=True)


# -- the centre in the portal -----------------------------------------------------------------

def test_the_bell_counts_and_the_list_filters_opens_and_marks_read_without_javascript(app, api, tenant, two_sites):
    order, mill = _invited(app, api, tenant, two_sites)
    client = _login(app, mill["tenant"])
    home = client.get("/dashboard").get_data(as_text=True)
    assert re.search(r'id="bell-count"[^>]*>1<', home)
    assert client.get("/notifications/count.json").get_json() == {"unread": 1}
    page = client.get("/notifications?show=unread&kind=quote.invited").get_data(as_text=True)
    assert "You are invited to quote" in page and "Acme Pumps" in page
    assert 'data-kind="quote.invited"' not in client.get("/notifications?kind=order.booked").get_data(as_text=True)
    [note_id] = re.findall(r'/notifications/([0-9a-f-]{36})/open', page)
    opened = client.post(f"/notifications/{note_id}/open")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/orders/{order['id']}")
    assert client.get("/notifications/count.json").get_json() == {"unread": 0}
    assert 'data-kind="quote.invited"' not in client.get("/notifications?show=unread").get_data(as_text=True)
    assert 'id="bell-count"' in client.get("/dashboard").get_data(as_text=True)


def test_mark_all_read_and_nobody_reads_or_marks_anothers_notifications(app, api, tenant, two_sites):
    order, mill = _invited(app, api, tenant, two_sites)
    finish_client = _login(app, two_sites[1]["tenant"])
    mill_client = _login(app, mill["tenant"])
    [note_id] = re.findall(r'/notifications/([0-9a-f-]{36})/read', mill_client.get("/notifications").get_data(as_text=True))
    assert finish_client.post(f"/notifications/{note_id}/read").status_code == 404
    assert mill_client.get("/notifications/count.json").get_json() == {"unread": 1}
    assert mill_client.post("/notifications/read-all").status_code == 302
    assert mill_client.get("/notifications/count.json").get_json() == {"unread": 0}


def test_the_centre_speaks_chinese_to_a_chinese_user(app, api, tenant, two_sites):
    mill = two_sites[0]
    set_locale(app, mill["tenant"], "zh_CN")
    _invited(app, api, tenant, two_sites)
    client = _login(app, mill["tenant"])
    page = client.get("/notifications").get_data(as_text=True)
    assert "邀请您报价" in page and "全部标为已读" in page
    assert "通知设置" in client.get("/settings/notifications").get_data(as_text=True)


# -- the API ----------------------------------------------------------------------------------

def test_the_api_lists_paginates_filters_and_marks_read(app, api, tenant, two_sites):
    order, mill = _invited(app, api, tenant, two_sites)
    shop = api(mill["tenant"])
    listed = shop.get("/api/v1/notifications?unread=true").get_json()
    assert listed["total"] == 1 and listed["page"] == 1
    [item] = listed["items"]
    assert item["kind"] == "quote.invited" and item["link"] == f"/orders/{order['id']}"
    assert item["object"] == {"kind": "order", "id": order["id"]} and item["read_at"] is None
    zh = shop.get("/api/v1/notifications", headers={"Accept-Language": "zh-CN"}).get_json()
    assert zh["items"][0]["title"] == "邀请您报价"
    assert shop.get("/api/v1/notifications/unread-count").get_json() == {"unread": 1}
    read = api(mill["tenant"].read_token).post(f"/api/v1/notifications/{item['id']}/read")
    assert read.status_code == 403  # a read-only token changes nothing
    read = shop.post(f"/api/v1/notifications/{item['id']}/read")
    assert read.status_code == 200 and read.get_json()["read_at"]
    assert shop.get("/api/v1/notifications?unread=true").get_json()["total"] == 0
    assert shop.post("/api/v1/notifications/read-all").get_json() == {"marked": 0}
    other = api(two_sites[1]["tenant"])
    missing = other.post(f"/api/v1/notifications/{item['id']}/read")
    assert missing.status_code == 404 and missing.headers["Content-Type"].startswith("application/problem+json")
    bad = shop.get("/api/v1/notifications?kind=nope")
    assert bad.status_code == 422 and "kind" in bad.get_json()["errors"]
