"""Each dashboard figure on known rows with the clock injected: NOW is a Wednesday in
Shanghai, the week runs Monday 2030-03-04 00:00 to Monday 2030-03-11 00:00 local."""
import secrets
from datetime import date, datetime, timedelta, timezone

import pytest

from market.db import unit_of_work

NOW = datetime(2030, 3, 6, 2, 0, tzinfo=timezone.utc)  # Wed 10:00 in Shanghai
MONDAY = datetime(2030, 3, 3, 16, 0, tzinfo=timezone.utc)  # Mon 00:00 in Shanghai
H = timedelta(hours=1)


def _add(*rows):
    with unit_of_work() as s:
        for r in rows:
            s.add(r)
            s.flush()
        s.commit()
        return [getattr(r, "id", None) for r in rows]


def _factory(org_id, name="Works", tz="Asia/Shanghai"):
    from market.catalog.models import Factory

    f = Factory(organization_id=org_id, name=name, address="1 Road", latitude=31.3, longitude=120.6, region="Suzhou",
                timezone=tz)
    return _add(f)[0]


def _machine(factory_id, name, status="active"):
    from market.catalog.models import Machine

    return _add(Machine(factory_id=factory_id, name=name, status=status))[0]


def _window(machine_id, factory_id, start, hours, status="open", order_id=None):
    from market.catalog.models import CapacityWindow

    return _add(CapacityWindow(machine_id=machine_id, factory_id=factory_id, start_at=start, end_at=start + hours * H,
                               pricing_mode="per_hour", price=10000, status=status, booked_order_id=order_id))[0]


def _order(buyer_org_id, title, state, due, created=None):
    from market.orders.models import Order

    return _add(Order(buyer_org_id=buyer_org_id, title=title, quantity=10, due_at=due, budget_minor=100000, state=state,
                      created_at=created or NOW - timedelta(days=3)))[0]


def _event(order_id, to_state, at):
    from market.orders.models import OrderEvent

    _add(OrderEvent(order_id=order_id, to_state=to_state, at=at))


def _quote(org_id, order_id, status, promised, expires=None):
    from market.matching.models import SolveJob
    from market.orders.models import Quote

    job = _add(SolveJob(kind="quote", organization_id=org_id, order_id=order_id, status="done"))[0]
    return _add(Quote(order_id=order_id, job_id=job, label="cheapest", status=status, price_minor=50000, transport_minor=0,
                      currency="CNY", promised_at=promised, expires_at=expires or NOW + timedelta(days=2)))[0]


def _payment(buyer_org_id, order_id, quote_id, amount, state="captured", captured=None, currency="CNY"):
    from market.payments.models import Payment

    return _add(Payment(order_id=order_id, quote_id=quote_id, buyer_org_id=buyer_org_id, provider="offline", state=state,
                        amount_minor=amount, currency=currency, reference=secrets.token_hex(8),
                        captured_at=captured))[0]


def _payout(payment_id, order_id, factory_id, org_id, gross, commission, state="held"):
    from market.payments.models import Payout

    return _add(Payout(payment_id=payment_id, order_id=order_id, factory_id=factory_id, factory_org_id=org_id,
                       gross_minor=gross, commission_minor=commission, state=state))[0]


def _movement(payment_id, order_id, kind, amount, done, factory_id=None, state="succeeded", currency="CNY"):
    from market.payments.models import Movement

    _add(Movement(payment_id=payment_id, order_id=order_id, factory_id=factory_id, kind=kind, state=state,
                  amount_minor=amount, currency=currency, provider="offline", done_at=done))


def _interval(machine_id, factory_id, start, hours, state="running", reason=""):
    from market.telemetry.models import StateInterval

    _add(StateInterval(machine_id=machine_id, factory_id=factory_id, day=start.date(), start_at=start,
                       end_at=start + hours * H, state=state, reason=reason))


@pytest.fixture
def world(app, tenant):
    with app.app_context():
        yield {"factory": tenant("factory", "Shop"), "buyer": tenant("buyer", "Buyer Co"),
               "rival": tenant("factory", "Rival"), "lender": tenant("lender", "Bank"), "op": tenant("operator")}


def test_the_factory_sees_this_weeks_booked_share_of_what_it_offered_and_the_running_hours(world):
    from market.portal.factory_figures import factory_figures

    shop, buyer = world["factory"].actor, world["buyer"].actor
    f = _factory(shop.org_id)
    mill, lathe = _machine(f, "Mill"), _machine(f, "Lathe")
    order = _order(buyer.org_id, "Brackets", "accepted", MONDAY + timedelta(days=3))
    _window(mill, f, MONDAY + 8 * H, 10, "booked", order)  # 10 h booked this week
    _window(lathe, f, MONDAY + timedelta(days=1), 30, "open")  # 30 h offered this week
    _window(lathe, f, MONDAY + timedelta(days=6, hours=20), 8, "open")  # 4 h of it before next Monday
    _window(lathe, f, MONDAY - timedelta(days=2), 10, "open")  # last week: not counted
    _window(mill, f, MONDAY + timedelta(days=2), 5, "withdrawn")  # withdrawn: not offered
    _interval(mill, f, MONDAY + 9 * H, 6)  # ran 6 h inside the booked window
    _interval(lathe, f, MONDAY - timedelta(days=2), 3)  # ran last week: not counted
    rival_f = _factory(world["rival"].actor.org_id, "Rival works")
    _window(_machine(rival_f, "Other"), rival_f, MONDAY + 8 * H, 50, "booked", order)  # someone else's

    fig = factory_figures(shop, NOW)
    assert fig.week.offered_s == (10 + 30 + 4) * 3600
    assert fig.week.booked_s == 10 * 3600
    assert fig.week.run_s == 6 * 3600
    assert fig.week.booked_share == pytest.approx(10 / 44)
    assert fig.week_start == MONDAY


def test_the_factory_sees_booked_revenue_after_commission_and_what_was_paid_in_the_last_30_days(world):
    from market.portal.factory_figures import factory_figures

    shop, buyer = world["factory"].actor, world["buyer"].actor
    f = _factory(shop.org_id)
    o1, o2, o3 = (_order(buyer.org_id, t, "accepted", NOW + timedelta(days=9)) for t in ("A", "B", "C"))
    p1 = _payment(buyer.org_id, o1, _quote(buyer.org_id, o1, "accepted", NOW), 100000)
    _payout(p1, o1, f, shop.org_id, 100000, 8000, "held")  # booked: 92 000
    p2 = _payment(buyer.org_id, o2, _quote(buyer.org_id, o2, "accepted", NOW), 50000, state="requires_payment")
    _payout(p2, o2, f, shop.org_id, 50000, 4000, "held")  # booked, not yet paid in: 46 000
    p3 = _payment(buyer.org_id, o3, _quote(buyer.org_id, o3, "accepted", NOW), 70000)
    _payout(p3, o3, f, shop.org_id, 70000, 5600, "paid")  # paid: not booked any more
    _movement(p3, o3, "transfer", 64400, NOW - timedelta(days=2), factory_id=f)
    _movement(p3, o3, "transfer", 1000, NOW - timedelta(days=31), factory_id=f)  # before the 30 days
    _movement(p3, o3, "transfer", 999, NOW + H, factory_id=f)  # after now
    _movement(p3, o3, "reversal", 400, NOW - timedelta(days=1), factory_id=f)

    fig = factory_figures(shop, NOW)
    assert fig.booked == {"CNY": 92000 + 46000}
    assert fig.paid == {"CNY": 64400 - 400}


def test_the_factory_sees_its_next_jobs_the_late_ones_and_idle_machines_with_nothing_on_sale(world):
    from market.portal.factory_figures import factory_figures

    shop, buyer = world["factory"].actor, world["buyer"].actor
    f = _factory(shop.org_id)
    mill, lathe = _machine(f, "Mill"), _machine(f, "Lathe")
    _machine(f, "Grinder")  # nothing on sale at all
    _machine(f, "Broken", status="maintenance")  # not offerable: not idle capacity
    on_time = _order(buyer.org_id, "On time", "accepted", NOW + timedelta(days=5))
    late = _order(buyer.org_id, "Late", "in_production", NOW + timedelta(days=1))
    done = _order(buyer.org_id, "Done", "delivered", NOW + timedelta(days=1))
    _window(mill, f, NOW + 2 * H, 4, "booked", on_time)
    _window(mill, f, NOW + timedelta(days=1, hours=-2), 6, "booked", late)  # ends 4 h after its due date
    _window(mill, f, NOW - 10 * H, 4, "booked", late)  # already over
    _window(mill, f, NOW + timedelta(days=1), 2, "booked", done)  # delivered order: not a job
    _window(lathe, f, NOW + timedelta(days=8), 8, "open")  # on sale, but after the next 7 days

    fig = factory_figures(shop, NOW)
    assert [j.title for j in fig.next_jobs] == ["On time", "Late"]
    assert [j.title for j in fig.late] == ["Late"] and fig.late[0].late
    assert sorted(m.name for m in fig.idle) == ["Grinder", "Lathe"]


def test_the_factory_counts_its_live_bids_and_the_invitations_it_has_not_answered(world):
    from market.bidding.models import Bid
    from market.orders.models import QuoteRequest
    from market.portal.factory_figures import factory_figures

    shop, buyer = world["factory"].actor, world["buyer"].actor
    f = _factory(shop.org_id)
    asked = [_order(buyer.org_id, f"RFQ {i}", "open", NOW + timedelta(days=10)) for i in range(4)]
    _add(*(QuoteRequest(order_id=o, factory_org_id=shop.org_id) for o in asked))
    bid = dict(factory_id=f, factory_org_id=shop.org_id, price_minor=1000, currency="CNY", promised_at=NOW + timedelta(days=5))
    _add(Bid(order_id=asked[0], status="open", expires_at=NOW + H, **bid),
         Bid(order_id=asked[1], status="open", expires_at=NOW - H, **bid),  # expired by the clock
         Bid(order_id=asked[2], status="declined", expires_at=NOW + H, **bid))
    fig = factory_figures(shop, NOW)
    assert fig.open_bids == 1
    assert fig.invitations == 1  # RFQ 3: the only one without a bid of ours


def test_the_buyer_sees_promised_against_due_its_spend_and_its_suppliers_on_time(world):
    from market.portal.buyer_figures import buyer_figures

    shop, buyer, rival = world["factory"].actor, world["buyer"].actor, world["rival"].actor
    f, g = _factory(shop.org_id, "Shop works"), _factory(rival.org_id, "Rival works")
    due = NOW + timedelta(days=4)
    early = _order(buyer.org_id, "Early", "in_production", due)
    slow = _order(buyer.org_id, "Slow", "accepted", due)
    _order(buyer.org_id, "Draft", "draft", due)
    q_early = _quote(buyer.org_id, early, "accepted", due - timedelta(days=1))
    q_slow = _quote(buyer.org_id, slow, "accepted", due + timedelta(days=2))
    _quote(buyer.org_id, slow, "superseded", due - timedelta(days=3))  # not the promise
    p = _payment(buyer.org_id, early, q_early, 30000, captured=NOW - timedelta(days=5))
    _payment(buyer.org_id, slow, q_slow, 20000, state="requires_payment")  # not paid: not spent
    # delivered orders: two by the shop (one late), one by the rival (on time)
    for title, org, fac, delivered_after_due in (("D1", shop, f, -1), ("D2", shop, f, 1), ("D3", rival, g, -2)):
        o = _order(buyer.org_id, title, "delivered", NOW - timedelta(days=10))
        qid = _quote(buyer.org_id, o, "accepted", NOW - timedelta(days=11))
        pid = _payment(buyer.org_id, o, qid, 10000, captured=NOW - timedelta(days=100))  # spent before the 90 days
        _payout(pid, o, fac, org.org_id, 10000, 800, "paid")
        _event(o, "delivered", NOW - timedelta(days=10) + timedelta(days=delivered_after_due))
        _event(o, "delivered", NOW)  # a second delivery after a dispute: the first one counts
    _payout(p, early, f, shop.org_id, 30000, 2400)

    fig = buyer_figures(buyer, NOW)
    assert fig.by_stage == {"in_production": 1, "accepted": 1, "draft": 1, "delivered": 3}
    assert [(x.title, x.late_by) for x in fig.in_flight] == [("Early", None), ("Slow", timedelta(days=2))]
    assert fig.spend == {"CNY": 30000}
    assert [(r.name, r.delivered, r.on_time) for r in fig.suppliers] == [("Shop", 2, 1), ("Rival", 1, 1)]


def test_the_operator_sees_liquidity_fill_rate_gmv_commission_and_disputes(world):
    from market.payments.models import Dispute
    from market.portal.operator_figures import operator_figures

    shop, buyer = world["factory"].actor, world["buyer"].actor
    f = _factory(shop.org_id)
    m = _machine(f, "Mill")
    due = NOW + timedelta(days=10)
    quoted = _order(buyer.org_id, "Quoted", "quoted", due)
    _quote(buyer.org_id, quoted, "open", due)
    stale = _order(buyer.org_id, "Stale quote", "quoted", due)
    _quote(buyer.org_id, stale, "open", due, expires=NOW - H)  # its only quote expired by the clock
    _order(buyer.org_id, "Nobody", "open", due)
    _order(buyer.org_id, "Past due", "open", NOW - H)  # not waiting any more
    for o in (quoted, stale):
        _event(o, "open", NOW - timedelta(days=2))
    won = _order(buyer.org_id, "Won", "accepted", due)
    _event(won, "open", NOW - timedelta(days=3))
    old = _order(buyer.org_id, "Old", "delivered", due)
    _event(old, "open", NOW - timedelta(days=40))  # posted before the 30 days
    _window(m, f, NOW + 2 * H, 10, "open")
    _window(m, f, NOW + timedelta(days=13, hours=20), 8, "open")  # 4 h inside the 14 days
    _window(m, f, NOW + 20 * H, 6, "booked", won)
    q = _quote(buyer.org_id, won, "accepted", due)
    p = _payment(buyer.org_id, won, q, 100000, captured=NOW - timedelta(days=1))
    _movement(p, won, "capture", 100000, NOW - timedelta(days=1))
    _movement(p, won, "capture", 5000, NOW - timedelta(days=1), currency="USD")
    _movement(p, won, "capture", 7777, NOW - timedelta(days=31))  # before the period
    _movement(p, won, "refund", 10000, NOW - timedelta(hours=5))
    _movement(p, won, "commission", 8000, NOW - timedelta(hours=4))
    _movement(p, won, "commission_return", 800, NOW - timedelta(hours=3))
    _movement(p, won, "capture", 3000, NOW - timedelta(hours=3), state="failed")
    _add(Dispute(order_id=won, payment_id=p, opened_by_org_id=buyer.org_id, from_state="shipped", state="open"),
         Dispute(order_id=won, payment_id=p, opened_by_org_id=buyer.org_id, from_state="shipped", state="resolved"))

    fig = operator_figures(NOW)
    assert (fig.open_orders, fig.unquoted_orders) == (3, 2)
    assert (fig.unbooked_hours, fig.offered_hours) == (14.0, 20.0)
    assert (fig.posted, fig.filled) == (3, 1)
    assert fig.fill_rate == pytest.approx(1 / 3)
    assert fig.gmv == {"CNY": 90000, "USD": 5000}
    assert fig.commission == {"CNY": 7200}
    assert fig.open_disputes == 1


def test_the_lender_sees_exposure_overdue_instalments_decisions_waiting_and_consenting_factories(world):
    from market.credit.models import Consent, FinancingApplication, Repayment
    from market.portal.lender_figures import lender_figures

    shop, lender = world["factory"].actor, world["lender"].actor
    other_lender = world["rival"]  # any other organization id will do for "someone else's"
    f = _factory(shop.org_id)
    consent = dict(factory_id=f, purpose="credit_assessment", salt="s")
    _add(Consent(lender_org_id=lender.org_id, valid_from=NOW - timedelta(days=1), valid_until=NOW + timedelta(days=30), **consent),
         Consent(lender_org_id=lender.org_id, valid_from=NOW - timedelta(days=1), valid_until=NOW + timedelta(days=9), **consent),
         Consent(lender_org_id=lender.org_id, valid_from=NOW - timedelta(days=9), valid_until=NOW - H, **consent))
    app = dict(factory_id=f, kind="equipment", amount_minor=90000, currency="CNY", term_months=3, salt="s")
    disbursed, repaid, waiting, foreign = _add(
        FinancingApplication(lender_org_id=lender.org_id, status="disbursed", **app),
        FinancingApplication(lender_org_id=lender.org_id, status="repaid", **app),
        FinancingApplication(lender_org_id=lender.org_id, status="submitted", **app),
        FinancingApplication(lender_org_id=other_lender.actor.org_id, status="disbursed", **app))
    today = NOW.date()
    _add(Repayment(application_id=disbursed, seq=1, due_on=today - timedelta(days=20), amount_minor=31000, paid_at=NOW - timedelta(days=21)),
         Repayment(application_id=disbursed, seq=2, due_on=today - timedelta(days=1), amount_minor=31000),
         Repayment(application_id=disbursed, seq=3, due_on=today + timedelta(days=30), amount_minor=31000),
         Repayment(application_id=repaid, seq=1, due_on=date(2030, 1, 1), amount_minor=5000),
         Repayment(application_id=foreign, seq=1, due_on=today - timedelta(days=1), amount_minor=77000))

    fig = lender_figures(lender, NOW)
    assert fig.consenting_factories == 1
    assert fig.awaiting_decision == 1
    assert fig.exposure == {"CNY": 62000}
    assert (fig.overdue_instalments, fig.overdue) == (1, {"CNY": 31000})
    assert fig.alerts == 0
