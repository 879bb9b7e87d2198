"""Leasing tells each party through the notification kinds (market/notifications/catalogue.py):
the lessee of an offer, the lessor of the signature or the refusal, both of each period's rent
invoiced and overdue, the lessor of alerts on the leased machine (once a day per alert).
Nobody else hears of the lease. Simulated days: the clock is injected."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from tests.market.notify_helpers import set_locale, told
from tests.market.test_leasing import disburse_confirmed, offer_body, world  # noqa: F401


def test_offer_signature_rent_and_machine_alerts_tell_the_lessee_and_the_lessor_and_no_one_else(app, world):
    from market.db import unit_of_work
    from market.leasing import monitoring, rent
    from market.telemetry import rollup
    from market.telemetry.models import Alert, MachineDay

    w = world
    lessor_t, owner_t = w["lessor_tenant"], w["owner"]
    set_locale(app, owner_t, "zh_CN")
    lease = w["lessor"].post("/api/v1/leases", json=offer_body(w)).get_json()
    [offered] = told(app, owner_t, "lease.offered")
    assert offered["title"] == "收到租赁要约" and "Leasing Co" in offered["body"] and "VMC-850" in offered["body"]
    assert "¥480,000.00" in offered["body"] and offered["link"] == ("lease", lease["id"])
    assert not told(app, lessor_t, "lease.offered")

    assert w["lessee"].post(f"/api/v1/leases/{lease['id']}/sign", json={"accept": True}).status_code == 200
    [signed] = told(app, lessor_t, "lease.signed")
    assert signed["title"] == "Lease signed" and "Lessee Works" in signed["body"]

    with app.app_context():
        active = disburse_confirmed(w, lease["id"])
        with unit_of_work() as s:
            for n in range(32):
                s.add(MachineDay(machine_id=active.machine_id, factory_id=active.factory_id,
                                 day=date(2026, 3, 1) + timedelta(n), seconds={"idle": 86400}))
            s.add(Alert(machine_id=active.machine_id, factory_id=active.factory_id, kind="down",
                        since=datetime(2026, 3, 30, tzinfo=timezone.utc)))
            s.commit()
        with unit_of_work() as s:
            rollup.summarize(s, active.factory_id, datetime(2026, 4, 2, 4, tzinfo=timezone.utc))
            s.commit()
        now = datetime(2026, 4, 2, 4, tzinfo=timezone.utc)
        assert rent.issue_invoices(now=now) == 1
        assert monitoring.raise_alerts(now=now) == 2  # down for 3 days, idle for 7
        assert monitoring.raise_alerts(now=now + timedelta(hours=2)) == 0  # once a day
        assert rent.mark_overdue(now=datetime(2026, 4, 17, 4, tzinfo=timezone.utc)) == 1
    for who, zh in ((owner_t, True), (lessor_t, False)):
        [invoiced] = told(app, who, "lease.rent_invoiced")
        [overdue] = told(app, who, "lease.rent_overdue")
        assert "¥1,500.00" in invoiced["body"] and "2026-04-16" in invoiced["body"]
        assert ("租金逾期" if zh else "Rent overdue") == overdue["title"]
    alerts = told(app, lessor_t, "lease.machine_alert")
    assert sorted(a["params"]["alert"] for a in alerts) == ["down_48h", "idle"]
    assert any("has been down for 48 hours or more" in a["body"] for a in alerts)
    assert not told(app, owner_t, "lease.machine_alert")  # the lessor's monitoring
    # nobody but the lease's two parties heard of it
    from sqlalchemy import select

    from market.accounts.models import User
    from market.notifications.models import Notification

    with app.app_context(), unit_of_work() as s:
        orgs = set(s.scalars(select(User.organization_id).join(Notification, Notification.user_id == User.id)
                             .where(Notification.kind.like("lease.%"))))
    assert orgs == {lessor_t.actor.org_id, owner_t.actor.org_id}


def test_a_declined_offer_tells_the_lessor(app, world):
    w = world
    lease = w["lessor"].post("/api/v1/leases", json=offer_body(w)).get_json()
    assert w["lessee"].post(f"/api/v1/leases/{lease['id']}/sign", json={"accept": False}).status_code == 200
    [declined] = told(app, w["lessor_tenant"], "lease.declined")
    assert "Lessee Works" in declined["body"] and not told(app, w["lessor_tenant"], "lease.signed")
