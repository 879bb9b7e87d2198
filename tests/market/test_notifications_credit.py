"""Notification kinds of credit (market/notifications/catalogue.py): a lender learns of the
consents it is given, loses or is about to lose, and of alerts on the factories it watches; a
factory learns who was issued a report on it, how its financing went and when it owes. Each
side reads only its own relationship: another lender learns nothing."""
from __future__ import annotations

import uuid
from types import SimpleNamespace
from datetime import date, datetime, time, timedelta, timezone

from tests.market.notify_helpers import kinds, mails, set_locale, told
from tests.market.test_credit import delivered, grant, issue  # noqa: F401
from tests.market.test_production import accepted  # noqa: F401


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=timezone.utc)


def test_consents_and_reports_tell_the_lender_and_the_factory_and_never_the_other_lender(app, delivered, two_sites):
    w = delivered
    bank_a, bank_b = w["lenders"]
    finish_t = two_sites[1]["tenant"]
    set_locale(app, bank_a, "zh_CN")
    consent = grant(w, bank_a, days=5)
    [granted] = told(app, bank_a, "consent.granted")
    assert granted["title"] == "已授权" and "Finish Lab" in granted["body"] and "信用评估" in granted["body"]
    assert granted["link"] == ("credit", "")
    assert issue(w["bank_a"], w).status_code == 201
    [issued] = told(app, finish_t, "credit.report_issued")
    assert issued["params"] == {"factory": "Finish Lab", "lender": "Bank A"}
    assert not told(app, bank_a, "credit.report_issued")  # it asked for it

    from market.credit import reminders

    with app.app_context():
        now = datetime.now(timezone.utc)
        assert reminders.publish_due(now)["consent_expiring"] == 1  # ends in 5 days, notice is 7
        assert reminders.publish_due(now + timedelta(hours=1))["consent_expiring"] == 0  # told once
    assert told(app, bank_a, "consent.expiring") and told(app, finish_t, "consent.expiring")
    assert "consent.expiring" in [m["kind"] for m in mails(app, finish_t)]  # action: renew or let it end
    assert w["finish"].post(f"/api/v1/credit/consents/{consent['id']}/revoke").status_code == 200
    [revoked] = told(app, bank_a, "consent.revoked")
    assert revoked["title"] == "授权已撤销"
    assert kinds(app, bank_b) == []
    assert not [k for k in kinds(app, SimpleNamespace(email=w["buyer"].email)) if k.startswith(("consent", "credit"))]


def test_financing_decided_disbursed_due_and_overdue_tell_the_factory_and_late_ones_the_lender(app, delivered, two_sites):
    w = delivered
    bank_a, bank_b = w["lenders"]
    finish_t = two_sites[1]["tenant"]
    set_locale(app, finish_t, "zh_CN")
    grant(w, bank_a, days=200)
    body = {"factory_id": w["factory"]["id"], "lender_id": str(bank_a.actor.org_public_id), "kind": "equipment",
            "amount_minor": 10_000, "term_months": 3}
    aid = w["finish"].post("/api/v1/financing-applications", json=body).get_json()["id"]
    assert w["bank_a"].post(f"/api/v1/financing-applications/{aid}/decision",
                            json={"approve": True, "amount_minor": 9_000, "rate_bp": 650}).status_code == 200
    [decided] = told(app, finish_t, "financing.decided")
    assert decided["title"] == "融资申请已审批" and "已批准" in decided["body"] and "¥100.00" in decided["body"]
    repayments = w["bank_a"].post(f"/api/v1/financing-applications/{aid}/disbursement").get_json()["repayments"]
    [paid_out] = told(app, finish_t, "financing.disbursed")
    assert paid_out["params"]["amount"] == "¥90.00" and paid_out["params"]["due"] == repayments[0]["due_on"]

    from market.credit import reminders

    first_due = date.fromisoformat(repayments[0]["due_on"])
    with app.app_context():
        assert reminders.publish_due(_noon(first_due - timedelta(days=4)))["instalment_due"] == 0
        assert reminders.publish_due(_noon(first_due - timedelta(days=2)))["instalment_due"] == 1
        late = reminders.publish_due(_noon(first_due + timedelta(days=1)))
        assert late["instalment_overdue"] == 1 and late["instalment_due"] == 0
        assert reminders.publish_due(_noon(first_due + timedelta(days=2)))["instalment_overdue"] == 0
    [due] = told(app, finish_t, "financing.instalment_due")
    assert due["params"]["seq"] == 1 and due["params"]["amount"] == "¥30.49"
    assert told(app, finish_t, "financing.instalment_overdue")
    [overdue] = told(app, bank_a, "financing.instalment_overdue")
    assert "Finish Lab" in overdue["body"] and "¥30.49" in overdue["body"]
    assert not told(app, bank_a, "financing.instalment_due")  # the factory's to act on
    assert kinds(app, bank_b) == []


def test_a_lender_alert_is_told_to_that_lender_once(app, delivered, two_sites, monkeypatch):
    from market.credit import alerts, reminders

    w = delivered
    bank_a, bank_b = w["lenders"]
    grant(w, bank_a)
    report_id = str(uuid.uuid4())

    def found(actor, now=None):  # the alert computation itself: tests/market/test_credit_alerts.py
        assert actor.org_id == bank_a.actor.org_id  # only lenders with a live consent are scanned
        return [alerts.Alert(w["factory"]["id"], "Finish Lab", "grade_drop", datetime.now(timezone.utc),
                             {"from": "A", "to": "BB", "score_from": 700, "score_to": 640, "report": report_id})]

    monkeypatch.setattr(alerts, "lender_alerts", found)
    with app.app_context():
        assert reminders.publish_due()["lender_alert"] == 1
        assert reminders.publish_due()["lender_alert"] == 0  # the same drop: told once
    [note] = told(app, bank_a, "lender.alert")
    assert note["body"] == "Finish Lab: the credit grade fell from A to BB."
    assert [m["kind"] for m in mails(app, bank_a)][-1] == "lender.alert"
    assert kinds(app, bank_b) == [] and "lender.alert" not in kinds(app, two_sites[1]["tenant"])
