"""The digest (market/notifications/digest.py): a kind a user chose to get 'in the digest' is
not mailed one by one; the periodic task sends at most one mail per DIGEST_EVERY_S listing
everything waiting, in the user's language, and never lists a row twice. On our own clock."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.market.notify_helpers import mails, set_locale, told
from tests.market.test_notifications_centre import _invited, _login

T0 = datetime(2026, 3, 2, 4, 0, tzinfo=timezone.utc)  # noon in Shanghai


def _digests(app, tenant) -> list:
    from market.db import unit_of_work
    from market.mail.models import OutboxEmail

    with app.app_context(), unit_of_work() as s:
        return [(m.subject, m.body) for m in s.scalars(select(OutboxEmail).where(OutboxEmail.to_address == tenant.email)
                                                       .order_by(OutboxEmail.id))]


def test_a_kind_chosen_for_the_digest_is_mailed_once_per_period_in_one_list(app, api, tenant, two_sites):
    from market.notifications import digest

    clock = {"now": T0}
    app.config.update(NOTIFICATIONS_CLOCK=lambda: clock["now"], DIGEST_EVERY_S=86400, MAIL_SEND_AFTER_COMMIT=False)
    mill = two_sites[0]
    set_locale(app, mill["tenant"], "zh_CN")
    client = _login(app, mill["tenant"])
    saved = client.post("/settings/notifications", data={"email:quote.invited": "digest", "time_zone": "UTC"})
    assert saved.status_code == 302
    assert 'value="digest" selected' in client.get("/settings/notifications").get_data(as_text=True)
    _invited(app, api, tenant, two_sites, title="First")
    clock["now"] = T0 + timedelta(hours=3)
    _invited(app, api, tenant, two_sites, title="Second")
    assert [m["status"] for m in mails(app, mill["tenant"])] == ["digest", "digest"]
    assert len(told(app, mill["tenant"])) == 2  # the bell does not wait
    with app.app_context():
        assert digest.send_due(T0 + timedelta(hours=23))["digests"] == 0  # a period after the oldest: not yet
        assert digest.send_due(T0 + timedelta(hours=24)) == {"digests": 1, "listed": 2}
        assert digest.send_due(T0 + timedelta(hours=25))["digests"] == 0  # nothing left, nothing twice
    [(subject, body)] = _digests(app, mill["tenant"])
    assert subject == "您的通知：自上次摘要以来 2 条" and "First" in body and "Second" in body and "邀请您报价" in body
    assert [m["status"] for m in mails(app, mill["tenant"])] == ["digested", "digested"]

    clock["now"] = T0 + timedelta(hours=26)
    _invited(app, api, tenant, two_sites, title="Third")
    with app.app_context():
        assert digest.send_due(T0 + timedelta(hours=47))["digests"] == 0  # a period after the last digest
        assert digest.send_due(T0 + timedelta(hours=48)) == {"digests": 1, "listed": 1}
    assert "Third" in _digests(app, mill["tenant"])[-1][1] and len(_digests(app, mill["tenant"])) == 2


def test_a_digest_waits_for_the_end_of_quiet_hours_and_other_kinds_are_mailed_as_usual(app, api, tenant, two_sites):
    from market.notifications import digest

    app.config.update(NOTIFICATIONS_CLOCK=lambda: T0, DIGEST_EVERY_S=3600, MAIL_SEND_AFTER_COMMIT=False)
    mill = two_sites[0]
    client = _login(app, mill["tenant"])
    assert client.post("/settings/notifications", data={
        "email:quote.invited": "digest", "email:order.booked": "now", "quiet_start": "22:00", "quiet_end": "07:00",
        "time_zone": "Asia/Shanghai"}).status_code == 302
    _invited(app, api, tenant, two_sites)
    night = datetime(2026, 3, 2, 15, 30, tzinfo=timezone.utc)  # 23:30 in Shanghai
    with app.app_context():
        assert digest.send_due(night)["digests"] == 0
        assert digest.send_due(datetime(2026, 3, 2, 23, 0, tzinfo=timezone.utc))["digests"] == 1  # 07:00 there
    bad = client.post("/settings/notifications", data={"email:quote.invited": "weekly", "time_zone": "UTC"})
    assert bad.status_code == 302  # an unknown choice in the form is "no e-mail", as an unticked box was
    from market.notifications import services

    with app.app_context():
        from market.errors import Invalid

        with pytest.raises(Invalid) as refused:
            services.set_preferences(mill["tenant"].actor, email={"quote.invited": "weekly"}, digest=False,
                                     quiet_start=None, quiet_end=None, time_zone="UTC")
        assert "email" in refused.value.errors
