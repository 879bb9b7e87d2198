"""What a credit report may claim: no grade without a minimum of evidence (and why, in both
languages), reasons that name real weaknesses rather than missing data, no peer chart
without peers, figures with their units, revenue only when paid; and what a lender is
warned of (approving far above the suggested line) or shown (its consenting factories)."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from market.credit import scorecard
from market.credit.features import Delivery, Event, Facts, OeeDay, compute_features
from market.credit.featureset import BY_NAME, NAMES
from tests.market.test_credit import delivered, grant, issue  # noqa: F401 (fixture)
from tests.market.test_production import accepted  # noqa: F401 (fixture)

AS_OF = datetime(2026, 6, 30, 12, tzinfo=timezone.utc)


def _read(index):
    assert index == 1, index  # the first event's entry, the only one read from the ledger here
    return {"event": {"when": _FIRST[0].isoformat().replace("+00:00", "Z")}, "index": 1, "signer": "x"}


_FIRST = [AS_OF]


def _facts(*, oee_days=0, deliveries=0, first_days_ago=None) -> Facts:
    f = Facts(as_of=AS_OF)
    for k in range(1, oee_days + 1):
        day = AS_OF.date() - timedelta(days=k)
        payload = {"day": day.isoformat(), "planned_s": 28800, "run_s": 20000, "total": 100, "good": 98,
                   "ideal_work_ms": 15_000_000, "ideal_run_s": 20000}
        f.oee_days.append(OeeDay(day, 28800, 20000, 100, 98, 15_000_000, 20000, 100 + k, payload, "s"))
    for k in range(deliveries):
        at = AS_OF - timedelta(days=10 + k)
        f.deliveries.append(Delivery(f"o{k}", at, at, 500 + k, None))
    if first_days_ago is not None:
        _FIRST[0] = AS_OF - timedelta(days=first_days_ago)
        f.first_event = Event("first", _FIRST[0], 1, "quote.accepted")
    return f


def _assess(facts: Facts):
    features = compute_features(facts, _read)
    # deliveries without their promise on the ledger are not evidence; count them as such here
    if facts.deliveries:
        features["on_time_rate_180d"] = features["on_time_rate_180d"].__class__(
            **{**features["on_time_rate_180d"].__dict__,
               "evidence": {"records": [{}] * len(facts.deliveries), "op": "share_le", "args": {}, "window": None}})
    from market.credit import sufficiency

    return sufficiency.assess(facts, features)


def test_a_factory_minutes_old_with_no_data_is_not_rated_and_says_why_in_both_languages():
    verdict = _assess(_facts())
    assert verdict.status == "insufficient_data"
    assert [s.code for s in verdict.shortfalls] == ["history", "oee_days", "deliveries"]
    texts = {s.code: (s.text("en"), s.text("zh_CN")) for s in verdict.shortfalls}
    assert texts["history"] == ("Less than 30 days of history on the platform (0 days)", "平台经营记录不足30天（现有0天）")
    assert texts["deliveries"][1] == "近180天交付订单不足3笔（现有0笔）"


def test_machine_data_alone_caps_the_grade_and_both_kinds_of_evidence_rate_it():
    machines_only = _assess(_facts(oee_days=40))
    assert machines_only.status == "capped" and machines_only.history_days == 40 and machines_only.oee_days == 40
    assert [s.code for s in machines_only.shortfalls] == ["deliveries"]
    assert _assess(_facts(oee_days=40, deliveries=3, first_days_ago=35)).status == "rated"
    assert _assess(_facts(oee_days=10, deliveries=1, first_days_ago=200)).status == "insufficient_data"
    from market.credit import sufficiency

    assert sufficiency.capped_grade("AAA", "BBB") == "BBB" and sufficiency.capped_grade("B", "BBB") == "B"
    assert sufficiency.Minimum().pd_floor == 0.02  # BBB starts at a PD of 2 %
    with pytest.raises(ValueError, match="'ZZ' is not a grade"):
        sufficiency.Minimum(cap="ZZ")


def test_missing_features_are_never_the_top_reasons_of_a_rich_file():
    card = scorecard.load()
    rich = {"oee_mean_90d": 0.77, "oee_trend_180d": -0.002, "oee_volatility_90d": 0.035, "utilization_90d": None,
            "downtime_share_90d": 0.012, "mttr_hours_90d": 2.5, "on_time_rate_180d": 0.8,
            "avg_lateness_days_180d": 0.3, "qc_pass_rate_180d": None, "dispute_rate_180d": 0.0,
            "cancellation_rate_180d": 0.0, "revenue_log10_180d": 4.0, "revenue_growth_90d": None,
            "customer_concentration_180d": 0.57, "tenure_months": 14.0, "repayment_late_share": None}
    result = card.score(rich)
    assert all(c.value is not None for c in result.reasons(4)), [(c.feature, c.value) for c in result.reasons(4)]
    assert {c.feature for c in result.missing()} == {"utilization_90d", "qc_pass_rate_180d", "revenue_growth_90d",
                                                     "repayment_late_share"}


@pytest.mark.parametrize(("name", "value", "en", "zh"), [
    ("oee_mean_90d", 0.773, "77.3%", "77.3%"),
    ("oee_trend_180d", -0.0115, "-1.15 pp/month", "-1.15 个百分点/月"),
    ("avg_lateness_days_180d", 1.5, "1.50 days", "1.50 天"),
    ("mttr_hours_90d", 2.5358, "2.5 h", "2.5 小时"),
    ("tenure_months", 14.25, "14.2 months", "14.2 个月"),
    ("revenue_log10_180d", 4.0315, "¥10,752", "¥10,752"),
])
def test_every_feature_is_shown_with_its_unit(name, value, en, zh):
    from market.credit.featureset import format_value

    assert format_value(BY_NAME[name], value, "en") == en
    assert format_value(BY_NAME[name], value, "zh_CN") == zh
    assert all(format_value(BY_NAME[n], None, "en") == "no data" for n in NAMES)


def _login(app, tenant):
    client = app.test_client()
    assert client.post("/login", data={"email": tenant.email, "password": "correct-horse-1"}).status_code == 302
    return client


def test_a_thin_file_gets_no_grade_in_the_api_the_html_and_the_pdf(delivered, app):  # noqa: F811
    w = delivered
    grant(w, w["lenders"][0])
    r = issue(w["bank_a"], w)
    assert r.status_code == 201, r.get_json()
    report = r.get_json()
    assert report["grade"] is None and report["score"] is None and report["pd_ppm"] is None
    rating = report["content"]["rating"]
    assert rating["status"] == "insufficient_data"
    assert {s["code"] for s in rating["shortfalls"]} == {"history", "oee_days", "deliveries"}
    assert report["content"]["credit_line"]["limit_minor"] == 0
    assert w["bank_a"].get(f"/api/v1/credit-reports/{w['factory']['id']}").get_json()["grade"] is None
    portal = _login(app, w["lenders"][0])
    html = portal.get(f"/credit/reports/{report['id']}").get_data(as_text=True)
    assert "Insufficient data" in html and "Fewer than 3 delivered orders in the last 180 days (1)" in html
    assert 'id="grade">—<' in html
    zh = portal.get(f"/credit/reports/{report['id']}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "数据不足" in zh and "近180天交付订单不足3笔（现有1笔）" in zh
    # no peers in this test world: a sentence, not an empty chart
    assert "No peers in this region and process class yet" in html and 'aria-label="Peer position"' not in html
    # units on the feature table
    assert "100.0%" in html and "0.00 days" in html
    assert "Insufficient data" in portal.get("/credit").get_data(as_text=True)  # the portfolio says it too
    pdf = w["bank_a"].get(f"/api/v1/credit/reports/{report['id']}/pdf")
    from pypdfium2 import PdfDocument

    doc = PdfDocument(pdf.data)
    text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    assert "Insufficient data" in text and "No peers in this region" in text


def _confirm_payment(app, tenant, api, order_id):
    operator = api(tenant("operator"))
    r = operator.post(f"/api/v1/orders/{order_id}/payment/confirm", json={"bank_reference": "ICBC-1"})
    assert r.status_code == 200 and r.get_json()["state"] == "captured", r.get_json()


def test_accepted_but_unpaid_orders_are_not_verified_revenue(delivered, app, tenant, api):  # noqa: F811
    w = delivered
    grant(w, w["lenders"][0])
    unpaid = issue(w["bank_a"], w).get_json()["content"]
    shown = {f["name"]: f["value"] for f in unpaid["features"]}
    assert unpaid["credit_line"]["revenue_180d_minor"] == 0
    assert shown["revenue_log10_180d"] is None and shown["customer_concentration_180d"] is None
    assert unpaid["credit_line"]["receivables_minor"] > 0  # still a receivable
    _confirm_payment(app, tenant, api, w["order"]["id"])
    paid = issue(w["bank_a"], w).get_json()
    assert paid["content"]["credit_line"]["revenue_180d_minor"] == unpaid["credit_line"]["receivables_minor"]
    shown = {f["name"]: f["value"] for f in paid["content"]["features"]}
    assert shown["revenue_log10_180d"] is not None and shown["customer_concentration_180d"] == "1.0000"
    from ledger.evidence import verify_evidence

    bundle = w["bank_a"].get(f"/api/v1/credit/reports/{paid['id']}/evidence").get_json()
    fact = next(f for f in bundle["facts"] if f["name"] == "revenue_log10_180d")
    assert all(rec["p"]["type"] == "payment.captured" for rec in fact["records"])  # each sale's capture is on the ledger
    assert verify_evidence(bundle).facts >= 10


def test_approving_far_above_the_suggested_line_must_be_confirmed(delivered, app):  # noqa: F811
    w = delivered
    a = w["bank_a"]
    grant(w, w["lenders"][0], days=200)
    body = {"factory_id": w["factory"]["id"], "lender_id": str(w["lenders"][0].actor.org_public_id), "kind": "equipment",
            "amount_minor": 35_000_000, "term_months": 12}
    aid = w["finish"].post("/api/v1/financing-applications", json=body).get_json()["id"]
    report = issue(a, w).get_json()
    suggested = report["content"]["credit_line"]["limit_minor"]
    assert suggested < 35_000_000
    decision = {"approve": True, "amount_minor": 35_000_000, "rate_bp": 650, "report_id": report["id"]}
    r = a.post(f"/api/v1/financing-applications/{aid}/decision", json=decision)
    assert r.status_code == 409 and r.headers["Content-Type"] == "application/problem+json"
    problem = r.get_json()
    assert problem["code"] == "above_suggested_line" and problem["suggested_limit_minor"] == suggested
    assert "confirm_above_suggested" in problem["errors"]
    assert a.get(f"/api/v1/financing-applications/{aid}").get_json()["status"] == "submitted"
    # the portal asks for the same confirmation before it records anything
    portal = _login(app, w["lenders"][0])
    # (as the confirmed decision form posts it: the decision itself was asked first)
    form = {"approve": "1", "amount_minor": "35000000", "rate_bp": "650", "confirmed": "1"}
    page = portal.post(f"/credit/applications/{aid}/decision", data=form, follow_redirects=True).get_data(as_text=True)
    assert "above the suggested credit line" in page and 'name="confirm_above_suggested"' in page
    assert a.get(f"/api/v1/financing-applications/{aid}").get_json()["status"] == "submitted"
    done = portal.post(f"/credit/applications/{aid}/decision", data={**form, "confirm_above_suggested": "1"})
    assert done.status_code == 302
    approved = a.get(f"/api/v1/financing-applications/{aid}").get_json()
    assert approved["status"] == "approved" and approved["approved_amount_minor"] == 35_000_000


def test_confirming_above_the_line_over_the_api_records_the_approval(delivered):  # noqa: F811
    w = delivered
    a = w["bank_a"]
    grant(w, w["lenders"][0], days=200)
    body = {"factory_id": w["factory"]["id"], "lender_id": str(w["lenders"][0].actor.org_public_id), "kind": "equipment",
            "amount_minor": 35_000_000, "term_months": 12}
    aid = w["finish"].post("/api/v1/financing-applications", json=body).get_json()["id"]
    issue(a, w)  # the lender's latest report is the reference when the decision names none
    decision = {"approve": True, "amount_minor": 35_000_000, "rate_bp": 650}
    assert a.post(f"/api/v1/financing-applications/{aid}/decision", json=decision).status_code == 409
    ok = a.post(f"/api/v1/financing-applications/{aid}/decision", json={**decision, "confirm_above_suggested": True})
    assert ok.status_code == 200 and ok.get_json()["status"] == "approved"


def test_the_lender_dashboard_lists_the_factories_that_consented(delivered, app):  # noqa: F811
    w = delivered
    portal = _login(app, w["lenders"][0])
    assert "No factory has granted you access" in portal.get("/dashboard").get_data(as_text=True)
    grant(w, w["lenders"][0])
    html = portal.get("/dashboard").get_data(as_text=True)
    assert "No factory has granted you access" not in html
    assert w["factory"]["name"] in html and "/credit" in html
