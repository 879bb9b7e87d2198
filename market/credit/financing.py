"""Financing: a factory applies (order financing against an accepted order's receivable, or
equipment financing) to a lender it has granted consent; the lender reviews the report and
approves with amount and rate, or declines with reasons; disbursement fixes a monthly
repayment schedule; repayments are recorded; unpaid instalments past due are overdue and
feed the repayment feature of later reports."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ledger.disclosure import new_salt

from market import bus, errors, policy
from market.auth import Actor
from market.catalog.access import own_factories
from market.catalog.models import Factory
from market.credit import events as ev
from market.credit.domain_events import FinancingDecided, FinancingDisbursed
from market.credit.access import credit_readable_factories
from market.credit.models import Consent, CreditReport, FinancingApplication, Repayment
from market.credit.services import lender_access, log_read
from market.db import unit_of_work, utcnow, write_lock
from market.orders.models import Order
from market.journal.ledger import record
from market.payments import assignments, execution
from market.payments.movements import after_commit

FINANCEABLE_ORDER_STATES = ("accepted", "in_production", "shipped", "delivered")


def apply(actor: Actor, *, factory_id: uuid.UUID, lender_id: uuid.UUID, kind: str, amount_minor: int, currency: str,
          term_months: int, order_id: uuid.UUID | None = None, purpose: str = "") -> FinancingApplication:
    policy.require_kind(actor, "factory")
    if kind not in ("order", "equipment"):
        raise errors.Invalid("kind must be 'order' or 'equipment'", field="kind")
    if kind == "order" and order_id is None:
        raise errors.Invalid("order financing names the accepted order it is secured on", field="order_id")
    with unit_of_work() as s:
        write_lock(s)
        factory = s.scalar(select(Factory).where(Factory.public_id == factory_id, own_factories(actor)))
        if factory is None:
            raise errors.NotFound("no such factory", field="factory_id")
        now = utcnow()
        consent = s.scalar(select(Consent).join(Consent.lender).where(
            Consent.factory_id == factory.id, Consent.revoked_at.is_(None), Consent.valid_from <= now,
            Consent.valid_until > now).where(Consent.lender.has(public_id=lender_id)))
        if consent is None:
            raise errors.Invalid("grant this lender access to the factory's data first", field="lender_id")
        order = None
        if kind == "order":
            from market.orders.models import Quote, QuoteLine

            order = s.scalar(select(Order).where(Order.public_id == order_id))
            booked = order is not None and s.scalar(
                select(QuoteLine.id).join(Quote, QuoteLine.quote_id == Quote.id)
                .where(Quote.order_id == order.id, Quote.status == "accepted", QuoteLine.factory_id == factory.id).limit(1))
            if not booked or order.state not in FINANCEABLE_ORDER_STATES:
                raise errors.Invalid("order financing needs an order accepted with this factory and not yet paid",
                                     field="order_id")
            if currency != order.currency:
                raise errors.Invalid(f"the order is in {order.currency}", field="currency")
        app = FinancingApplication(public_id=uuid.uuid4(), factory_id=factory.id, lender_org_id=consent.lender_org_id,
                                   kind=kind, order_id=order.id if order else None, amount_minor=amount_minor,
                                   currency=currency, term_months=term_months, purpose=purpose, salt=new_salt(),
                                   created_at=now)
        app.lender, app.factory, app.repayments = consent.lender, factory, []
        s.add(app)
        s.flush()
        if kind == "order":  # the factory's payout on the order is what repays: assign it (payments)
            assignments.propose(s, order_id=order.id, factory_id=factory.id, assignee_org_id=consent.lender_org_id,
                                reference=str(app.public_id), principal_minor=amount_minor, currency=currency,
                                max_percent=current_app.config["FINANCING_ADVANCE_MAX_PERCENT"])
        app.ledger_index = record(s, ev.financing_applied(app, factory))[0].index
        s.commit()
        return _with_assignment(s, app)


def applications(actor: Actor) -> list[FinancingApplication]:
    """A factory's applications; the applications sent to a lender (from factories whose
    consent is live); everything for operators."""
    now = utcnow()
    with unit_of_work() as s:
        q = select(FinancingApplication).join(Factory, FinancingApplication.factory_id == Factory.id)
        if actor.org_kind == "lender":
            q = q.where(FinancingApplication.lender_org_id == actor.org_id, credit_readable_factories(actor, now))
        elif not actor.is_operator:
            q = q.where(Factory.organization_id == actor.org_id)
        return [_with_assignment(s, a) for a in
                s.scalars(q.order_by(FinancingApplication.created_at.desc()).limit(500)).unique()]


def _find(s, actor: Actor, application_id: uuid.UUID, *, lock: bool = False) -> FinancingApplication:
    q = select(FinancingApplication).where(FinancingApplication.public_id == application_id)
    if lock:
        q = q.with_for_update(of=FinancingApplication)
    app = s.scalar(q)
    if app is None:
        raise errors.NotFound("no such application")
    if actor.org_kind == "lender":
        if app.lender_org_id != actor.org_id:
            raise errors.NotFound("no such application")
        try:
            lender_access(s, actor, app.factory)
        except errors.NotFound:
            raise errors.NotFound("no such application") from None
    elif not actor.is_operator and app.factory.organization_id != actor.org_id:
        raise errors.NotFound("no such application")
    return app


def get(actor: Actor, application_id: uuid.UUID) -> FinancingApplication:
    with unit_of_work() as s:
        return _with_assignment(s, _find(s, actor, application_id))


def _with_assignment(s, app: FinancingApplication) -> FinancingApplication:
    """Order financing: the payout assignment as payments keeps it (state, whether the buyer
    confirmed the payable, what the payout has repaid)."""
    app.assignment = assignments.by_reference(s, str(app.public_id)) if app.kind == "order" else None
    return app


class AboveSuggestedLine(errors.Conflict):
    """An approval above the suggested credit line of the lender's report: it stands only
    when the lender confirms it (`confirm_above_suggested`)."""

    def __init__(self, amount_minor: int, suggested_minor: int, report: CreditReport):
        super().__init__(f"approving {amount_minor} minor units is above the suggested credit line of "
                         f"{suggested_minor} in report {report.public_id}; send confirm_above_suggested: true "
                         f"to approve it anyway", field="confirm_above_suggested")
        self.amount_minor, self.suggested_minor = amount_minor, suggested_minor
        self.extra = {"code": "above_suggested_line", "amount_minor": amount_minor,
                      "suggested_limit_minor": suggested_minor, "report_id": str(report.public_id)}


def _reference_report(s, actor: Actor, app: FinancingApplication, report_id: uuid.UUID | None) -> CreditReport | None:
    """The report a decision rests on: the one it names, else the lender's latest on the factory."""
    if report_id is not None:
        rep = s.scalar(select(CreditReport).where(CreditReport.public_id == report_id,
                                                  CreditReport.lender_org_id == actor.org_id,
                                                  CreditReport.factory_id == app.factory_id))
        if rep is None:
            raise errors.Invalid("no such report of this factory issued to you", field="report_id")
        return rep
    return s.scalar(select(CreditReport).where(CreditReport.lender_org_id == actor.org_id,
                                               CreditReport.factory_id == app.factory_id)
                    .order_by(CreditReport.created_at.desc(), CreditReport.id.desc()).limit(1))


def decide(actor: Actor, application_id: uuid.UUID, *, approve: bool, amount_minor: int | None = None,
           rate_bp: int | None = None, reasons: list[str] | None = None,
           report_id: uuid.UUID | None = None, confirm_above_suggested: bool = False) -> FinancingApplication:
    """Approve (amount, rate) or decline (reasons). An approval above the suggested credit
    line of the report it rests on (named, or the lender's latest on the factory; no line
    when the report has no grade) raises AboveSuggestedLine unless `confirm_above_suggested`."""
    with unit_of_work() as s:
        write_lock(s)
        app = _find(s, actor, application_id, lock=True)
        policy.require_kind(actor, "lender")
        if app.status != "submitted":
            raise errors.refusal(errors.Conflict, _l("This application is already decided."),
                                 detail=f"this application is {app.status}; only submitted ones are decided")
        rep = _reference_report(s, actor, app, report_id)
        if approve:
            if not amount_minor or amount_minor <= 0 or amount_minor > app.amount_minor:
                raise errors.refusal(errors.Invalid, _l("Approve more than nothing and at most the amount applied for."),
                                     field="amount_minor", detail=f"approve between 1 and the {app.amount_minor} applied for")
            if rate_bp is None or not 0 < rate_bp <= 10000:
                raise errors.refusal(errors.Invalid, _l("An approval states its annual rate in percent, above 0 and at most 100."),
                                     field="rate_bp", detail="annual rate in basis points, 1 to 10000")
            suggested = rep.content.get("credit_line", {}).get("limit_minor", 0) if rep is not None else None
            if suggested is not None and amount_minor > suggested and not confirm_above_suggested:
                raise AboveSuggestedLine(amount_minor, suggested, rep)
            app.status, app.approved_amount_minor, app.rate_bp = "approved", amount_minor, rate_bp
        else:
            reasons = [r.strip() for r in (reasons or []) if r.strip()]
            if not reasons:
                raise errors.refusal(errors.Invalid, _l("A declined application states its reasons."), field="reasons",
                                     detail="a declined application states its reasons")
            app.status, app.decline_reasons = "declined", reasons[:4]
            assignments.withdraw(s, str(app.public_id))
        if report_id is not None:
            app.report_id = rep.id
        app.decided_at, app.decision_salt = utcnow(), new_salt()
        consent = lender_access(s, actor, app.factory)
        log_read(s, actor, app.factory, consent, "application_reviewed", str(app.public_id))
        app.decision_ledger_index = record(s, ev.financing_decided(app))[0].index
        bus.publish(s, FinancingDecided(app.id, app.factory_id, app.lender_org_id, app.status))
        s.commit()
        return _with_assignment(s, app)


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    day = min(d.day, 28)
    return date(d.year + y, m + 1, day)


def disburse(actor: Actor, application_id: uuid.UUID) -> FinancingApplication:
    """Pay out an approved application: equal monthly instalments of principal + simple
    interest, the schedule committed on the ledger with the disbursement."""
    with unit_of_work() as s:
        write_lock(s)
        app = _find(s, actor, application_id, lock=True)
        policy.require_kind(actor, "lender")
        if app.status != "approved":
            raise errors.Conflict(f"this application is {app.status}; only approved ones are disbursed")
        now = utcnow()
        principal, n = app.approved_amount_minor, app.term_months
        interest = principal * app.rate_bp * n // (12 * 10000)
        total = principal + interest
        schedule = []
        if app.kind == "order":  # repaid at once from the order's payout, first; due at the term's end
            due = _add_months(now.date(), n)
            assignments.disburse(s, reference=str(app.public_id), principal_minor=principal, fee_minor=interest,
                                 due_on=due)
            order_id = app.order_id
            after_commit(s, lambda: execution.run_pending(order_id))  # the advance: offline waits for the operator
            n = 1
        for k in range(n):
            amount = total // n + (1 if k < total % n else 0)
            due = _add_months(now.date(), app.term_months if app.kind == "order" else k + 1)
            app.repayments.append(Repayment(public_id=uuid.uuid4(), seq=k + 1, due_on=due, amount_minor=amount))
            due_by = (due + timedelta(days=1)).isoformat() + "T00:00:00Z"
            schedule.append({"seq": k + 1, "due_by": due_by, "amount_minor": amount})
        app.status, app.disbursed_at, app.disbursement_salt = "disbursed", now, new_salt()
        app.disbursement_payload = {"application": str(app.public_id), "amount_minor": principal,
                                    "currency": app.currency, "disbursed_at": now.isoformat(), "schedule": schedule}
        app.disbursement_ledger_index = record(s, ev.financing_disbursed(app))[0].index
        bus.publish(s, FinancingDisbursed(app.id, app.factory_id, app.lender_org_id))
        s.commit()
        return _with_assignment(s, app)


def repay(actor: Actor, application_id: uuid.UUID, seq: int, *, paid_at=None) -> Repayment:
    """Record instalment `seq` as paid (the lender confirms money received)."""
    with unit_of_work() as s:
        write_lock(s)
        app = _find(s, actor, application_id, lock=True)
        policy.require_kind(actor, "lender")
        if app.status != "disbursed":
            raise errors.Conflict(f"this application is {app.status}; repayments follow a disbursement")
        r = next((r for r in app.repayments if r.seq == seq), None)
        if r is None:
            raise errors.NotFound(f"no instalment {seq}", field="seq")
        if r.paid_at is not None:
            raise errors.Conflict(f"instalment {seq} is already paid")
        r.paid_at = paid_at or utcnow()
        r.salt = new_salt()
        r.committed = {"application": str(app.public_id), "seq": seq, "amount_minor": r.amount_minor,
                       "paid_at": r.paid_at.isoformat()}
        r.ledger_index = record(s, ev.financing_repaid(app, r))[0].index
        if all(x.paid_at is not None for x in app.repayments):
            app.status = "repaid"
        s.commit()
        return r


def overdue(actor: Actor, *, today: date | None = None) -> list[tuple[FinancingApplication, Repayment]]:
    """Instalments past due and unpaid, for the lender's alerts (or the factory's own)."""
    today = today or utcnow().date()
    return [(a, r) for a in applications(actor) for r in a.repayments if r.overdue_on(today)]


def repaid_from_payout(s, reference: str) -> None:
    """The order's payout has repaid the assignment in full (payments' `AssigneePaid`): the
    single instalment of this order financing is paid, on the ledger like any repayment."""
    app = s.scalar(select(FinancingApplication).where(FinancingApplication.public_id == uuid.UUID(reference))
                   .with_for_update(of=FinancingApplication))
    if app is None or app.status != "disbursed":
        return
    for r in app.repayments:
        if r.paid_at is None:
            r.paid_at, r.salt = utcnow(), new_salt()
            r.committed = {"application": str(app.public_id), "seq": r.seq, "amount_minor": r.amount_minor,
                           "paid_at": r.paid_at.isoformat()}
            r.ledger_index = record(s, ev.financing_repaid(app, r))[0].index
    app.status = "repaid"
