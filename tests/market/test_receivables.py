"""Receivables financing that settles itself: a factory's payout on an order is assigned to
the lender that advanced on it; the buyer confirms the payable; on release the lender is
paid principal + fee first and the factory the rest, in one transaction; disputes follow the
waterfall; the buyer not paying by the due date is recourse on the factory. The money
invariant is checked after every step (offline provider and the local Stripe stack)."""
import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.market.payment_world import fake_stripe, localstripe, stripe_mode, world  # noqa: F401

# one factory (Mill Works), 100000 share, 8 % commission: 92000 net payout
NET = 92000
PRINCIPAL, RATE_BP, TERM = 60000, 1200, 3
FEE = PRINCIPAL * RATE_BP * TERM // 120000  # 1800
DUE = PRINCIPAL + FEE  # 61800: paid to the lender first


class Finance:
    """The lender side of the world: a consenting lender, an outsider lender and buyer."""

    def __init__(self, world, tenant, api):
        self.world = world
        self.bank_t, self.other_bank_t, self.other_buyer_t = tenant("lender", "Bank A"), tenant("lender", "Bank B"), \
            tenant("buyer", "Other Buyer")
        self.bank, self.other_bank, self.other_buyer = api(self.bank_t), api(self.other_bank_t), api(self.other_buyer_t)
        self.mill = world.mill["client"]
        r = self.mill.post("/api/v1/credit/consents", json={
            "factory_id": world.mill["factory"]["id"], "lender_id": str(self.bank_t.actor.org_public_id),
            "purpose": "order_financing", "days": 90})
        assert r.status_code == 201, r.get_json()

    def body(self, oid, **over):
        return {"factory_id": self.world.mill["factory"]["id"], "lender_id": str(self.bank_t.actor.org_public_id),
                "kind": "order", "order_id": oid, "amount_minor": PRINCIPAL, "term_months": TERM, **over}

    def apply(self, oid, **over):
        return self.mill.post("/api/v1/financing-applications", json=self.body(oid, **over))

    def approve_and_disburse(self, aid):
        r = self.bank.post(f"/api/v1/financing-applications/{aid}/decision",
                           json={"approve": True, "amount_minor": PRINCIPAL, "rate_bp": RATE_BP,
                                 "confirm_above_suggested": True})
        assert r.status_code == 200, r.get_json()
        r = self.bank.post(f"/api/v1/financing-applications/{aid}/disbursement")
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    def application(self, aid, who=None):
        return (who or self.bank).get(f"/api/v1/financing-applications/{aid}").get_json()


@pytest.fixture
def fin(world, tenant, api):
    return Finance(world, tenant, api)


def _check(world, oid):
    """The invariant at this step: what the escrow holds is what the records say it owes;
    once nothing is pending, captured = payouts + lender repayments + commission + refunds."""
    b = world.balance(oid)
    assert b.accounted, b
    if b.pending == 0 and b.in_escrow_owed == 0:
        assert b.holds, b
    return b


def _confirm(world, oid, kind):
    for m in world.payment(oid)["movements"]:
        if m["kind"] == kind and m["state"] == "pending":
            r = world.operator.post(f"/api/v1/orders/{oid}/movements/confirm",
                                    json={"movement_id": m["id"], "bank_reference": f"BANK-{m['id'][:6]}"})
            assert r.status_code == 200, r.get_json()


def _movements(world, oid, kind):
    return sorted(m["amount_minor"] for m in world.payment(oid)["movements"] if m["kind"] == kind)


def _ledger_types(app):
    from market.db import unit_of_work
    from market.journal.ledger import get_ledger

    with app.app_context(), unit_of_work() as s:
        store = get_ledger().store
        raw = store.entries(s.connection(), 0, store.size(s.connection()))
    return [json.loads(r)["event"]["type"] for r in raw]


def _counts(app):
    from market.credit.models import FinancingApplication
    from market.db import unit_of_work
    from market.payments.models import Movement, PayoutAssignment

    with app.app_context(), unit_of_work() as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) for t in (FinancingApplication, PayoutAssignment, Movement))


def _financed(world, fin, oid):
    """Applied, confirmed by the buyer, approved and disbursed (the operator confirms the advance)."""
    aid = fin.apply(oid).get_json()["id"]
    (a,) = world.buyer.get(f"/api/v1/orders/{oid}/assignments").get_json()["items"]
    assert world.buyer.post(f"/api/v1/orders/{oid}/assignments/{a['id']}/confirm").status_code == 200
    fin.approve_and_disburse(aid)
    return aid


def test_offline_a_financed_order_repays_the_lender_first_and_the_factory_the_rest(world, fin, app):
    oid = world.order(split=False)
    _check(world, oid)
    applied = fin.apply(oid)
    assert applied.status_code == 201, applied.get_json()
    aid = applied.get_json()["id"]
    # the lender sees the receivable, unconfirmed by the buyer
    seen = fin.application(aid)["assignment"]
    assert (seen["state"], seen["buyer_confirmed"], seen["principal_minor"]) == ("proposed", False, PRINCIPAL)
    (a,) = world.buyer.get(f"/api/v1/orders/{oid}/assignments").get_json()["items"]
    assert a["assignee"] == "Bank A" and a["buyer_confirmed"] is False
    # only the buyer confirms, once; it is a ledger entry
    assert fin.mill.post(f"/api/v1/orders/{oid}/assignments/{a['id']}/confirm").status_code == 403
    confirmed = world.buyer.post(f"/api/v1/orders/{oid}/assignments/{a['id']}/confirm")
    assert confirmed.status_code == 200 and confirmed.get_json()["buyer_confirmed"] is True
    assert confirmed.get_json()["buyer_confirmed_ledger_index"] is not None
    assert world.buyer.post(f"/api/v1/orders/{oid}/assignments/{a['id']}/confirm").status_code == 409
    assert fin.application(aid)["assignment"]["buyer_confirmed"] is True
    _check(world, oid)

    disbursed = fin.approve_and_disburse(aid)
    assert disbursed["assignment"]["state"] == "disbursing"
    assert (disbursed["assignment"]["fee_minor"], disbursed["assignment"]["due_minor"]) == (FEE, DUE)
    assert [r["amount_minor"] for r in disbursed["repayments"]] == [DUE]  # one instalment, repaid from the payout
    # the advance goes out before the buyer has paid: the lender's money, not the escrow's
    assert _movements(world, oid, "disbursement") == [PRINCIPAL]
    _confirm(world, oid, "disbursement")
    assert fin.application(aid)["assignment"]["state"] == "active"
    b = _check(world, oid)
    assert b.captured == 0 and b.out == 0  # the advance is outside the order's escrow

    world.operator.post(f"/api/v1/orders/{oid}/payment/confirm", json={"bank_reference": "ICBC-1"})
    _check(world, oid)
    for to in ("in_production", "shipped", "delivered"):
        world.move(oid, to)
        _check(world, oid)
    # released in one transaction: the lender's repayment and the factory's remainder
    assert _movements(world, oid, "assignee_payment") == [DUE]
    assert _movements(world, oid, "transfer") == [NET - DUE]
    _confirm(world, oid, "assignee_payment")
    b = _check(world, oid)
    assert b.assignee_paid == DUE and world.payment(oid)["payouts"][0]["state"] == "releasing"
    _confirm(world, oid, "transfer")
    b = _check(world, oid)
    assert b.holds and b.pending == 0
    assert (b.captured, b.assignee_paid, b.transferred, b.commission) == (100000, DUE, NET - DUE, 8000)
    assert world.payment(oid)["payouts"][0]["state"] == "paid"

    done = fin.application(aid)
    assert done["status"] == "repaid" and done["repayments"][0]["paid_at"] is not None
    assert done["assignment"]["state"] == "settled" and done["assignment"]["paid_minor"] == DUE
    types = _ledger_types(app)
    for kind in ("payment.assigned", "payment.payable_confirmed", "payment.disbursed", "payment.assignee_paid",
                 "payment.assignment_settled", "financing.repaid"):
        assert types.count(kind) == 1, (kind, types)


def test_the_amounts_are_committed_on_the_ledger_never_in_clear(world, fin, app):
    from ledger.disclosure import opens
    from market.catalog.models import Factory
    from market.accounts.models import Organization
    from market.db import unit_of_work
    from market.journal.ledger import get_ledger
    from market.orders.models import Order
    from market.payments.events import assignment_payload
    from market.payments.models import PayoutAssignment

    oid = world.order(split=False)
    _financed(world, fin, oid)
    with app.app_context(), unit_of_work() as s:
        a = s.scalar(select(PayoutAssignment))
        entry = json.loads(get_ledger().store.entry(s.connection(), a.ledger_index))["event"]
        assert entry["type"] == "payment.assigned" and str(DUE) not in json.dumps(entry)
        payload = assignment_payload(a, s.get(Order, a.order_id), str(s.get(Factory, a.factory_id).public_id),
                                     str(s.get(Organization, a.assignee_org_id).public_id))
        assert opens(entry["data"]["commitment"], payload, a.salt)
        assert not opens(entry["data"]["commitment"], {**payload, "fee_minor": FEE + 1}, a.salt)


@pytest.mark.parametrize("outcome, refund, to_lender, to_factory, commission", [
    # 50000 refunded: the payout's share halves (50000, commission 4000, net 46000); all of it
    # goes to the lender, who is still owed 15800: recourse on the factory
    ("partial_refund", 50000, 46000, 0, 4000),
    # 10000 refunded: share 90000, commission 7200, net 82800: the lender is repaid in full first
    ("partial_refund", 10000, DUE, 82800 - DUE, 7200),
    # everything refunded: nothing comes from the payout; recourse for all of it
    ("full_refund", 100000, 0, 0, 0),
])
def test_a_disputed_financed_order_follows_the_waterfall(world, fin, app, outcome, refund, to_lender, to_factory,
                                                         commission):
    oid = world.order(split=False)
    aid = _financed(world, fin, oid)
    _confirm(world, oid, "disbursement")
    world.operator.post(f"/api/v1/orders/{oid}/payment/confirm", json={})
    world.move(oid, "in_production")
    world.move(oid, "shipped")
    opened = world.buyer.post(f"/api/v1/orders/{oid}/disputes", json={"reason": "bores out of tolerance"})
    assert opened.status_code == 201
    _check(world, oid)
    body = {"outcome": outcome, **({"refund_minor": refund} if outcome == "partial_refund" else {})}
    resolved = world.operator.post(f"/api/v1/orders/{oid}/disputes/resolve", json=body)
    assert resolved.status_code == 200, resolved.get_json()
    _check(world, oid)
    for kind in ("refund", "assignee_payment", "transfer"):
        _confirm(world, oid, kind)
        _check(world, oid)
    b = world.balance(oid)
    assert b.holds and b.pending == 0
    assert (b.refunded, b.assignee_paid, b.transferred, b.commission) == (refund, to_lender, to_factory, commission)
    a = fin.application(aid)["assignment"]
    assert a["paid_minor"] == to_lender and a["outstanding_minor"] == DUE - to_lender
    assert a["state"] == ("settled" if to_lender == DUE else "recourse")
    assert fin.application(aid)["status"] == ("repaid" if to_lender == DUE else "disbursed")
    if to_lender < DUE:
        assert "payment.assignment_recourse" in _ledger_types(app)


def test_a_buyer_who_has_not_paid_by_the_due_date_puts_the_assignment_in_recourse(world, fin, app):
    from market.db import utcnow
    from market.payments import assignments

    oid = world.order(split=False)
    aid = _financed(world, fin, oid)
    _confirm(world, oid, "disbursement")
    due_on = fin.application(aid)["assignment"]["due_on"]
    with app.app_context():
        assert assignments.mark_overdue(today=utcnow().date()) == 0  # not due yet
        from datetime import date
        assert assignments.mark_overdue(today=date.fromisoformat(due_on) + timedelta(days=1)) == 1
    assert fin.application(aid)["assignment"]["state"] == "recourse"
    # the buyer pays late after all: the payout still repays the lender first
    world.operator.post(f"/api/v1/orders/{oid}/payment/confirm", json={})
    for to in ("in_production", "shipped", "delivered"):
        world.move(oid, to)
    assert _movements(world, oid, "assignee_payment") == [DUE]
    _confirm(world, oid, "assignee_payment")
    _confirm(world, oid, "transfer")
    assert world.balance(oid).holds and fin.application(aid)["assignment"]["state"] == "settled"


def test_outsiders_get_404_for_the_assignment_and_the_application(world, fin):
    oid = world.order(split=False)
    aid = fin.apply(oid).get_json()["id"]
    (a,) = world.buyer.get(f"/api/v1/orders/{oid}/assignments").get_json()["items"]
    assert [x["id"] for x in fin.mill.get(f"/api/v1/orders/{oid}/assignments").get_json()["items"]] == [a["id"]]
    assert len(world.operator.get(f"/api/v1/orders/{oid}/assignments").get_json()["items"]) == 1
    for outsider in (fin.other_bank, fin.other_buyer):
        assert outsider.get(f"/api/v1/orders/{oid}/assignments").status_code == 404
        assert outsider.post(f"/api/v1/orders/{oid}/assignments/{a['id']}/confirm").status_code == 404
    # the consenting lender reads it through its application, not through the buyer's order
    assert fin.bank.get(f"/api/v1/orders/{oid}/assignments").status_code == 404
    assert fin.other_bank.get(f"/api/v1/financing-applications/{aid}").status_code == 404
    assert fin.other_buyer.get(f"/api/v1/financing-applications/{aid}").status_code == 404
    assert fin.other_bank.post(f"/api/v1/financing-applications/{aid}/disbursement").status_code == 404
    # an assignment of another order: 404 on this one
    other = world.order(split=False)
    assert world.buyer.post(f"/api/v1/orders/{other}/assignments/{a['id']}/confirm").status_code == 404
    assert world.buyer.post(f"/api/v1/orders/{oid}/assignments/{uuid.uuid4()}/confirm").status_code == 404


@pytest.mark.parametrize("over, field", [
    ({"amount_minor": NET * 80 // 100 + 1}, "amount_minor"),  # above 80 % of the net payout
    ({"amount_minor": -1}, "amount_minor"),
    ({"amount_minor": 10**20}, "amount_minor"),
    ({"amount_minor": "12.5"}, "amount_minor"),
    ({"term_months": 0}, "term_months"),
    ({"currency": "USD"}, "currency"),
    ({"order_id": None}, "order_id"),
])
def test_bad_input_is_a_422_with_the_field_and_nothing_is_written(world, fin, app, over, field):
    oid = world.order(split=False)
    before = _counts(app)
    r = fin.apply(oid, **over)
    assert r.status_code == 422 and field in r.get_json()["errors"], r.get_json()
    assert _counts(app) == before


def test_a_payout_is_assigned_once_and_only_while_held(world, fin, app):
    oid = world.order(split=False)
    assert fin.apply(oid, amount_minor=NET * 80 // 100).status_code == 201  # exactly the limit
    before = _counts(app)
    again = fin.apply(oid, amount_minor=1000)
    assert again.status_code == 422 and "order_id" in again.get_json()["errors"]
    assert _counts(app) == before
    # a released payout cannot be assigned
    paid = world.order(split=False)
    world.operator.post(f"/api/v1/orders/{paid}/payment/confirm", json={})
    for to in ("in_production", "shipped", "delivered"):
        world.move(paid, to)
    late = fin.apply(paid)
    assert late.status_code == 422 and "released" in json.dumps(late.get_json()["errors"])


def test_principal_and_fee_above_the_payout_are_refused_at_disbursement_and_nothing_moves(world, fin, app):
    oid = world.order(split=False)
    aid = fin.apply(oid, amount_minor=NET * 80 // 100).get_json()["id"]
    assert fin.bank.post(f"/api/v1/financing-applications/{aid}/decision", json={
        "approve": True, "amount_minor": NET * 80 // 100, "rate_bp": 10000, "term_months": 36,
        "confirm_above_suggested": True}).status_code == 422  # term is not the lender's to change
    r = fin.bank.post(f"/api/v1/financing-applications/{aid}/decision", json={
        "approve": True, "amount_minor": NET * 80 // 100, "rate_bp": 10000, "confirm_above_suggested": True})
    assert r.status_code == 200
    # 73600 + 100 % a year for 3 months = 92000: exactly the payout; 1 bp more would not fit
    assert fin.application(aid)["assignment"]["state"] == "proposed"
    before = _counts(app)
    with app.app_context():
        from market.credit.models import FinancingApplication
        from market.db import unit_of_work

        with unit_of_work() as s:
            s.scalar(select(FinancingApplication)).term_months = 4  # 73600 + 24533 > 92000
            s.commit()
    refused = fin.bank.post(f"/api/v1/financing-applications/{aid}/disbursement")
    assert refused.status_code == 422 and "amount_minor" in refused.get_json()["errors"]
    assert _counts(app) == before and fin.application(aid)["status"] == "approved"


def test_assigned_receivables_are_exposure_in_the_credit_report_and_reduce_the_line(world, fin, app):
    from market.credit.pricing import credit_line

    oid = world.order(split=False)
    _financed(world, fin, oid)
    report = fin.bank.post("/api/v1/credit/reports", json={"factory_id": world.mill["factory"]["id"]})
    assert report.status_code == 201, report.get_json()
    content = report.get_json()["content"]
    assert content["exposure"]["assigned_receivables_minor"] == DUE and content["exposure"]["assigned_receivables"] == 1
    assert content["exposure"]["unconfirmed_by_buyer"] == 0 and content["credit_line"]["exposure_minor"] == DUE
    # the line: the same figures with and without the exposure
    free = credit_line(grade="A", pd=0.01, revenue_180d_minor=1_000_000, receivables_minor=200_000, currency="CNY",
                       base_rate_bp=310)
    owed = credit_line(grade="A", pd=0.01, revenue_180d_minor=1_000_000, receivables_minor=200_000, currency="CNY",
                       base_rate_bp=310, exposure_minor=DUE)
    assert owed.limit_minor == free.limit_minor - DUE
    assert credit_line(grade="A", pd=0.01, revenue_180d_minor=0, receivables_minor=0, currency="CNY",
                       base_rate_bp=310, exposure_minor=DUE).limit_minor == 0


def test_the_portal_shows_the_lender_an_unconfirmed_payable_and_the_buyer_confirms_it(world, fin, app):
    oid = world.order(split=False)
    fin.apply(oid)

    def login(t):
        c = app.test_client()
        assert c.post("/login", data={"email": t.email, "password": "correct-horse-1"}).status_code == 302
        return c

    bank = login(fin.bank_t)
    assert "buyer-unconfirmed" in bank.get("/credit").get_data(as_text=True)
    buyer = login(world.buyer_t)
    page = buyer.get(f"/orders/{oid}/payment").get_data(as_text=True)
    assert 'id="assignments"' in page and "confirm-payable" in page
    (a,) = world.buyer.get(f"/api/v1/orders/{oid}/assignments").get_json()["items"]
    import re
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = buyer.post(f"/orders/{oid}/assignments/{a['id']}/confirm", data={"csrf_token": token})
    assert r.status_code == 302
    assert "buyer-confirmed" in bank.get("/credit").get_data(as_text=True)
    # zh-CN
    bank.set_cookie("lang", "zh_CN")
    assert "买方已确认应付款" in bank.get("/credit?lang=zh_CN", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)


def test_the_factory_applies_in_major_units_in_the_portal(world, fin, app):
    oid = world.order(split=False)
    c = app.test_client()
    assert c.post("/login", data={"email": world.mill["tenant"].email, "password": "correct-horse-1"}).status_code == 302
    page = c.get("/credit").get_data(as_text=True)
    import re
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"csrf_token": token, "factory_id": world.mill["factory"]["id"], "lender_id": str(fin.bank_t.actor.org_public_id),
            "kind": "order", "order_id": oid, "term_months": "3"}
    c.post("/credit/applications", data={**form, "amount": "-5"})
    assert _counts(app)[0] == 0
    c.post("/credit/applications", data={**form, "amount": "600.50"})
    (a,) = fin.mill.get("/api/v1/financing-applications").get_json()["items"]
    assert a["amount_minor"] == 60050 and a["assignment"]["principal_minor"] == 60050


def test_stripe_the_lender_is_paid_first_from_the_buyers_charge(world, fin, stripe_mode):
    from tests.market.test_payments_stripe import _paid, _transfers

    fake = stripe_mode
    mill_account = world.onboard(fake, world.mill)
    link = fin.bank.post("/api/v1/payments/account/onboarding", json={
        "return_url": "http://127.0.0.1/payments/balance", "refresh_url": "http://127.0.0.1/payments/balance"})
    assert link.status_code == 200, link.get_json()
    bank_account = link.get_json()["url"].rsplit("/", 1)[1]
    world.webhook(fake, "account.updated", fake.complete_onboarding(bank_account))

    oid = world.order(split=False)
    aid = _financed(world, fin, oid)
    # the advance: a Connect transfer to the factory, from the platform's balance (not the buyer's charge)
    (advance,) = _transfers(fake, oid)
    assert (advance["amount"], advance["destination"], advance["source_transaction"]) == (PRINCIPAL, mill_account, None)
    assert fin.application(aid)["assignment"]["state"] == "active"
    _check(world, oid)
    pi = _paid(world, fake, oid)
    _check(world, oid)
    for to in ("in_production", "shipped", "delivered"):
        world.move(oid, to)
        _check(world, oid)
    charge = pi["latest_charge"]["id"] if isinstance(pi["latest_charge"], dict) else pi["latest_charge"]
    out = {(t["amount"], t["destination"], t["source_transaction"]) for t in _transfers(fake, oid)}
    assert out == {(PRINCIPAL, mill_account, None), (DUE, bank_account, charge), (NET - DUE, mill_account, charge)}
    b = _check(world, oid)
    assert b.holds and b.pending == 0 and (b.assignee_paid, b.transferred, b.commission) == (DUE, NET - DUE, 8000)
    assert fin.application(aid)["status"] == "repaid"


def test_a_dispute_after_the_lender_was_repaid_refunds_only_what_the_escrow_still_holds(world, fin, app):
    oid = world.order(split=False)
    aid = _financed(world, fin, oid)
    _confirm(world, oid, "disbursement")
    world.operator.post(f"/api/v1/orders/{oid}/payment/confirm", json={})
    for to in ("in_production", "shipped", "delivered"):
        world.move(oid, to)
    _confirm(world, oid, "assignee_payment")  # the lender is repaid; the factory's transfer not sent yet
    assert fin.application(aid)["status"] == "repaid"
    assert world.buyer.post(f"/api/v1/orders/{oid}/disputes", json={"reason": "late defects"}).status_code == 201
    assert world.payment(oid)["payouts"][0]["state"] == "frozen"
    _check(world, oid)
    before = _counts(app)
    full = world.operator.post(f"/api/v1/orders/{oid}/disputes/resolve", json={"outcome": "full_refund"})
    assert full.status_code == 409 and "outcome" in full.get_json()["errors"]
    assert _counts(app) == before and world.buyer.get(f"/api/v1/orders/{oid}").get_json()["state"] == "disputed"
    _check(world, oid)
    # 10000 back: share 90000, commission 7200, net 82800, of which 61800 went to the lender
    assert world.operator.post(f"/api/v1/orders/{oid}/disputes/resolve",
                               json={"outcome": "partial_refund", "refund_minor": 10000}).status_code == 200
    _confirm(world, oid, "refund")
    _confirm(world, oid, "transfer")
    b = _check(world, oid)
    assert b.holds and (b.assignee_paid, b.transferred, b.commission, b.refunded) == (DUE, 21000, 7200, 10000)


def test_the_lender_portfolio_counts_the_assigned_receivable_and_waits_for_the_buyer(world, fin, app):
    oid = world.order(split=False)
    aid = fin.apply(oid).get_json()["id"]
    fin.approve_and_disburse(aid)  # advanced before the buyer confirmed: the lender sees it unconfirmed
    mine = fin.bank.get("/api/v1/credit/portfolio").get_json()
    rec = next(p for p in mine["by_product"] if p["product"] == "receivables")
    assert (rec["contracts"], rec["outstanding_minor"], rec["overdue_minor"]) == (1, DUE, 0)
    assert mine["total"]["outstanding_minor"] == DUE
    (a,) = world.buyer.get(f"/api/v1/orders/{oid}/assignments").get_json()["items"]
    assert [(p["kind"], p["product"], p["contract"]) for p in mine["pending"]] == [
        ("buyer_confirmation", "receivables", a["id"])]
    outsider = fin.other_bank.get("/api/v1/credit/portfolio").get_json()
    assert outsider["total"]["outstanding_minor"] == 0 and outsider["pending"] == [] and outsider["factories"] == []
    assert world.buyer.post(f"/api/v1/orders/{oid}/assignments/{a['id']}/confirm").status_code == 200
    assert fin.bank.get("/api/v1/credit/portfolio").get_json()["pending"] == []


def _verify_elsewhere(bundle, tmp_path, name):
    import subprocess
    import sys

    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(bundle))
    return subprocess.run([sys.executable, "-m", "ledger", "verify-evidence", str(path)], capture_output=True, text=True)


def test_the_lenders_evidence_proves_the_order_its_acceptance_production_and_delivery_offline(
        world, fin, app, tmp_path):
    import base64

    oid = world.order(split=False)
    aid = _financed(world, fin, oid)
    url = f"/api/v1/financing-applications/{aid}/evidence"
    early = fin.bank.get(url).get_json()
    assert early["subject"]["stages"] == {"order_posted": True, "order_accepted": True, "produced": False,
                                          "delivered": False, "assigned": True, "payable_confirmed": True}
    assert _verify_elsewhere(early, tmp_path, "early").returncode == 0
    world.operator.post(f"/api/v1/orders/{oid}/payment/confirm", json={"bank_reference": "ICBC-1"})
    for to in ("in_production", "shipped", "delivered"):
        world.move(oid, to)
    bundle = fin.bank.get(url).get_json()
    assert all(bundle["subject"]["stages"].values()), bundle["subject"]
    facts = {f["name"]: f["value"] for f in bundle["facts"]}
    assert facts["share_minor"] == "100000.0000" and facts["advance_due_minor"] == f"{DUE}.0000"
    assert int(facts["operations_completed"].split(".")[0]) >= 1 and facts["pieces_delivered"] != "0.0000"
    types = {json.loads(base64.b64decode(e["entry"]))["event"]["type"] for e in bundle["entries"]}
    assert {"order.posted", "quote.accepted", "lot.commissioned", "operation.completed", "shipment.shipped",
            "delivery.confirmed", "payment.assigned", "payment.payable_confirmed"} <= types
    done = _verify_elsewhere(bundle, tmp_path, "bundle")
    assert done.returncode == 0 and done.stdout.startswith("OK"), done.stdout + done.stderr
    # the factory reads the same bundle; anyone else gets 404
    assert fin.mill.get(url).status_code == 200
    for who in (fin.other_bank, fin.other_buyer, world.buyer):
        assert who.get(url).status_code == 404

    def tampered(change):
        copy = json.loads(json.dumps(bundle))
        change(copy)
        return _verify_elsewhere(copy, tmp_path, "tampered")

    def entry_of(copy, typ):
        return next(e for e in copy["entries"] if json.loads(base64.b64decode(e["entry"]))["event"]["type"] == typ)

    def rewrite_delivery(copy):  # a delivery confirmed by someone else, in the entry itself
        e = entry_of(copy, "delivery.confirmed")
        raw = json.loads(base64.b64decode(e["entry"]))
        raw["event"]["org"] = str(uuid.uuid4())
        e["entry"] = base64.b64encode(json.dumps(raw).encode()).decode()

    def more_principal(copy):
        next(d for d in copy["disclosures"] if "principal_minor" in d["payload"])["payload"]["principal_minor"] += 1

    def claim_produced_by_an_acceptance(copy):  # another entry of the order passed off as production
        accepted = entry_of(copy, "quote.accepted")
        rec = next(f for f in copy["facts"] if f["name"] == "produced")["records"][0]
        rec["x"]["entry"] = json.loads(base64.b64decode(accepted["entry"]))["index"]

    def other_order(copy):
        next(f for f in copy["facts"] if f["name"] == "delivered")["args"]["value"] = str(uuid.uuid4())

    for change, says in ((rewrite_delivery, "entry"), (more_principal, "do not open the commitment"),
                         (claim_produced_by_an_acceptance, "not 'lot.commissioned'"), (other_order, "delivered")):
        done = tampered(change)
        assert done.returncode != 0 and says in done.stdout + done.stderr, (change.__name__, done.stdout, done.stderr)
