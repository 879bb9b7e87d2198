"""Leases and assigned receivables in the credit report: the exposure outstanding per product,
the repayment behaviour (instalments paid on time, paid late, unpaid past due), and the
suggested line reduced by what lenders already carry. Overdue rent is exposure and feeds the
late share. A product registered by a higher layer (insurance, later) joins the same figures.
The clock is injected: rent days and due days are simulated."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest

from sqlalchemy import select

from tests.market.test_leasing import FLOOR, _uuid, disburse_confirmed, signed_lease, world  # noqa: F401

DISBURSED = 40_000_000  # price 480,000.00 less the down payment of 80,000.00


def _one_overdue_invoice(app, w, lease):
    """Disbursed on 1 March; a machine that never ran; March invoiced at the floor, overdue 17 April."""
    from market.db import unit_of_work
    from market.leasing import rent
    from market.telemetry import rollup
    from market.telemetry.models import MachineDay

    with app.app_context():
        active = disburse_confirmed(w, lease["id"])
        with unit_of_work() as s:
            for n in range(32):
                s.add(MachineDay(machine_id=active.machine_id, factory_id=active.factory_id,
                                 day=date(2026, 3, 1) + timedelta(n), seconds={"idle": 86400}))
            s.commit()
        with unit_of_work() as s:
            rollup.summarize(s, active.factory_id, datetime(2026, 4, 2, 4, tzinfo=timezone.utc))
            s.commit()
        assert rent.issue_invoices(now=datetime(2026, 4, 2, 4, tzinfo=timezone.utc)) == 1
        assert rent.mark_overdue(now=datetime(2026, 4, 17, 4, tzinfo=timezone.utc)) == 1
        return active.factory_id


def _report(w):
    r = w["lessor"].post("/api/v1/credit/reports", json={"factory_id": w["factory"]["id"]})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["content"]


def test_a_lease_is_exposure_with_its_rent_behaviour_in_the_credit_report(app, world):
    from market.db import unit_of_work
    from market.leasing import rent
    from market.leasing.models import RentInvoice

    w = world
    lease = signed_lease(w)
    before = _report(w)["exposure"]
    assert before["leases"] == 0 and before["leases_minor"] == 0 and before["total_minor"] == 0
    _one_overdue_invoice(app, w, lease)

    owed = _report(w)["exposure"]
    assert (owed["leases"], owed["leases_minor"], owed["overdue_minor"]) == (1, DISBURSED, FLOOR)
    assert owed["products"]["leases"] == {"contracts": 1, "outstanding_minor": DISBURSED, "overdue_minor": FLOOR,
                                          "behaviour": {"on_time": 0, "late": 0, "overdue": 1}}
    assert owed["behaviour"] == {"on_time": 0, "late": 0, "overdue": 1}
    assert owed["total_minor"] == DISBURSED

    with app.app_context():
        with unit_of_work() as s:
            inv_id = s.scalar(select(RentInvoice.public_id))
        rent.record_payment(w["lessor_tenant"].actor, inv_id, now=datetime(2026, 4, 20, 4, tzinfo=timezone.utc))
    content = _report(w)
    owed = content["exposure"]
    # the rent paid recovers the lessor's money; paid four days late: late, no longer overdue
    assert (owed["leases_minor"], owed["overdue_minor"]) == (DISBURSED - FLOOR, 0)
    assert owed["products"]["leases"]["behaviour"] == {"on_time": 0, "late": 1, "overdue": 0}
    assert content["credit_line"]["exposure_minor"] == owed["total_minor"] == DISBURSED - FLOOR
    late_share = {f["name"]: f["value"] for f in content["features"]}["repayment_late_share"]
    assert late_share == "1.0000"  # the late rent is in the features too


def test_the_suggested_line_is_reduced_by_the_lease_exposure(app, world, monkeypatch):
    from market.credit import report as report_mod
    from market.credit.pricing import credit_line

    w = world
    lease = signed_lease(w)
    _one_overdue_invoice(app, w, lease)
    # enough evidence for a grade, and open receivables the line is built on
    app.config.update(CREDIT_MIN_HISTORY_DAYS=0, CREDIT_MIN_OEE_DAYS=0, CREDIT_MIN_DELIVERIES=0)
    monkeypatch.setattr(report_mod, "receivables", lambda facts: 200_000_000)
    content = _report(w)
    assert content["grade"] is not None
    line = content["credit_line"]
    free = credit_line(grade=content["grade"], pd=content["pd_ppm"] / 1_000_000, revenue_180d_minor=0,
                       receivables_minor=200_000_000, currency="CNY", base_rate_bp=app.config["CREDIT_BASE_RATE_BP"])
    assert free.limit_minor > DISBURSED
    assert line["exposure_minor"] == DISBURSED
    assert line["limit_minor"] == free.limit_minor - DISBURSED


def test_a_product_registered_above_credit_joins_the_exposure_and_the_line(app, world):
    """The extension point: a product of a higher layer (insurance policies, say) registers a
    source; the report counts it with no change in credit."""
    from market.credit import exposure

    w = world
    factory_pk = {}

    def guarantees(session, factory_ids, lender_org_id, today):
        from market.catalog.models import Factory

        f = session.scalar(select(Factory).where(Factory.public_id == _uuid(w["factory"]["id"])))
        factory_pk["id"] = f.id
        if factory_ids is not None and f.id not in factory_ids:
            return []
        return [exposure.Line("guarantees", f.id, w["lessor_tenant"].actor.org_id, "p-1", "CNY", 12_345, 345,
                              on_time=2, late=0, overdue=1)]

    exposure.register_exposure_source("guarantees", guarantees)
    try:
        owed = _report(w)["exposure"]
    finally:
        exposure.SOURCES.pop("guarantees")
    assert owed["products"]["guarantees"] == {"contracts": 1, "outstanding_minor": 12_345, "overdue_minor": 345,
                                            "behaviour": {"on_time": 2, "late": 0, "overdue": 1}}
    assert owed["total_minor"] == 12_345 and owed["behaviour"]["on_time"] == 2
    assert "guarantees" not in _report(w)["exposure"]["products"]


def test_the_report_page_shows_the_exposure_by_product_in_both_languages(app, world):
    w = world
    lease = signed_lease(w)
    _one_overdue_invoice(app, w, lease)
    r = w["lessor"].post("/api/v1/credit/reports", json={"factory_id": w["factory"]["id"]})
    report_id = r.get_json()["id"]
    client = app.test_client()
    assert client.post("/login", data={"email": w["lessor_tenant"].email, "password": "correct-horse-1"}).status_code == 302
    for lang, heading, leases in (("en", "Existing exposure", "Leases"), ("zh-CN", "现有风险敞口", "租赁")):
        page = client.get(f"/credit/reports/{report_id}", headers={"Accept-Language": lang}).get_data(as_text=True)
        assert heading in page, lang
        row = page.split('data-product="leases"')[1].split("</tr>")[0]
        assert leases in row and "¥400,000.00" in row and "¥1,500.00" in row, row


def _portfolio_world(app, w):
    """The lessor carries an overdue lease and waits for the lessee's signature of a second offer."""
    lease = signed_lease(w)
    _one_overdue_invoice(app, w, lease)
    second = w["lessee"].post("/api/v1/machines", json={"factory_id": w["factory"]["id"], "name": "VMC-1000",
                                                        "processes": ["cnc_milling_3ax"]}).get_json()
    offered = w["lessor"].post("/api/v1/leases", json={
        "factory_id": w["factory"]["id"], "machine_id": second["id"], "supplier_id": w["supplier_id"], "kind": "new",
        "schedule": "fixed", "term_months": 12, "price_minor": 1_000_000, "fixed_minor": 90_000})
    assert offered.status_code == 201, offered.get_json()
    return lease, offered.get_json()


def test_a_lender_sees_its_own_exposure_by_product_grade_and_region_with_alerts_and_pending_consents(
        app, world, tenant, api):
    w = world
    lease, offered = _portfolio_world(app, w)
    # Bank B: consent of the other factory (in another region), its own lease there, disbursed
    from market.catalog.models import Factory
    from market.db import unit_of_work

    bank_b_t = tenant("lender", "Bank C")
    bank_b = api(bank_b_t)
    other_factory = w["other_machine"]["factory_id"]
    with app.app_context(), unit_of_work() as s:
        s.scalar(select(Factory).where(Factory.public_id == _uuid(other_factory))).region = "Ningbo"
        s.commit()
    assert w["other"].post("/api/v1/credit/consents", json={
        "factory_id": other_factory, "lender_id": str(bank_b_t.actor.org_public_id),
        "purpose": "equipment_financing"}).status_code == 201
    theirs = bank_b.post("/api/v1/leases", json={
        "factory_id": other_factory, "machine_id": w["other_machine"]["id"], "supplier_id": w["supplier_id"],
        "kind": "new", "schedule": "fixed", "term_months": 12, "price_minor": 7_000_000, "fixed_minor": 600_000})
    assert theirs.status_code == 201, theirs.get_json()
    assert w["other"].post(f"/api/v1/leases/{theirs.get_json()['id']}/sign", json={"accept": True}).status_code == 200
    assert bank_b.post(f"/api/v1/leases/{theirs.get_json()['id']}/disburse").status_code == 200
    (t,) = w["ops"].get("/api/v1/contract-transfers").get_json()["items"]
    assert t["kind"] == "lease_disbursement" and t["amount_minor"] == 7_000_000
    assert w["ops"].post(f"/api/v1/contract-transfers/{t['id']}/confirm", json={"bank_reference": "B-7"}).status_code == 200

    r = w["lessor"].post("/api/v1/credit/reports", json={"factory_id": w["factory"]["id"]})
    grade = r.get_json()["grade"] or "unrated"
    mine = w["lessor"].get("/api/v1/credit/portfolio").get_json()
    assert mine["total"]["outstanding_minor"] == DISBURSED and mine["total"]["overdue_minor"] == FLOOR
    leases = next(p for p in mine["by_product"] if p["product"] == "leases")
    assert (leases["contracts"], leases["outstanding_minor"], leases["behaviour"]["overdue"]) == (1, DISBURSED, 1)
    assert {p["product"] for p in mine["by_product"]} >= {"receivables", "leases", "financing"}
    assert [(g["grade"], g["outstanding_minor"]) for g in mine["by_grade"]] == [(grade, DISBURSED)]
    assert [(x["region"], x["outstanding_minor"]) for x in mine["by_region"]] == [("Suzhou", DISBURSED)]
    assert [(a["kind"], a["product"], a["contract"], a["overdue_minor"]) for a in mine["alerts"]
            if a["kind"] == "overdue"] == [("overdue", "leases", lease["id"], FLOOR)]
    assert [(x["kind"], x["contract"]) for x in mine["pending"]] == [("lessee_signature", offered["id"])]
    assert [f["name"] for f in mine["factories"]] == ["Test Works"]  # never Bank C's factory

    theirs_seen = bank_b.get("/api/v1/credit/portfolio").get_json()
    assert theirs_seen["total"]["outstanding_minor"] == 7_000_000 and theirs_seen["total"]["overdue_minor"] == 0
    assert [(x["region"], x["outstanding_minor"]) for x in theirs_seen["by_region"]] == [("Ningbo", 7_000_000)]
    assert [f["name"] for f in theirs_seen["factories"]] == ["Other"] and theirs_seen["pending"] == []
    assert not [a for a in theirs_seen["alerts"] if a["kind"] == "overdue"]
    # another currency: nothing carried in it
    assert w["lessor"].get("/api/v1/credit/portfolio?currency=USD").get_json()["total"]["outstanding_minor"] == 0
    assert w["lessor"].get("/api/v1/credit/portfolio?currency=usd").status_code == 422
    # a lender's page only: the lessee, a buyer are refused
    for who in ("lessee", "buyer", "other"):
        assert w[who].get("/api/v1/credit/portfolio").status_code == 403, who


@pytest.mark.parametrize("lang, words", [("en", ("Lender portfolio", "Exposure by product", "Leases", "Suzhou")),
                                         ("zh-CN", ("出资方资产组合", "按产品划分的敞口", "设备租赁", "承租方尚未签署租赁要约"))])
def test_the_portfolio_page_in_both_languages(app, world, lang, words):
    from tests.e2e.ui_text import english_words

    w = world
    _portfolio_world(app, w)
    client = app.test_client()
    headers = {"Accept-Language": lang}
    assert client.post("/login", data={"email": w["lessor_tenant"].email, "password": "correct-horse-1"},
                       headers=headers).status_code == 302
    page = client.get("/credit/portfolio", headers=headers)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for word in words:
        assert word in html, word
    assert "¥400,000.00" in html and "¥1,500.00" in html
    if lang == "zh-CN":
        body = html.split("<main", 1)[-1].split(">", 1)[-1]
        text = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S))
        assert english_words(text, data=["Test Works", "Suzhou", "Leasing Co", "CNY"]) == set()
    lessee = app.test_client()
    assert lessee.post("/login", data={"email": w["owner"].email, "password": "correct-horse-1"}).status_code == 302
    assert lessee.get("/credit/portfolio").status_code == 404
