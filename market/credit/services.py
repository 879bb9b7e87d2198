"""Consent, the access log and credit reports. A lender reads a factory's credit data only
under a live consent; every grant, revocation and read is logged for the factory and put on
the ledger (as a commitment: who reads whom stays private)."""
from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.disclosure import new_salt

from market import bus, errors, policy
from market.accounts.models import Organization
from market.auth import Actor
from market.catalog.access import own_factories
from market.catalog.models import Factory
from market.credit import events as ev
from market.credit.domain_events import ConsentGranted, ConsentRevoked, CreditReportIssued
from market.credit import report as report_mod
from market.credit.access import credit_readable_factories, live_consent
from market.credit.models import GRANTEE_KINDS, PURPOSES, AccessLogEntry, Consent, CreditReport
from market.db import unit_of_work, utcnow, write_lock
from market.metrics import CREDIT_REPORTS
from market.journal.ledger import proved_entries, record

MAX_CONSENT_DAYS = 366
REPORT_FRESH_HOURS = 24


# --- consent (the factory's side) ---------------------------------------------------------

def lenders() -> list[Organization]:
    """Lenders and insurers a factory can name in a consent (they are a public directory)."""
    with unit_of_work() as s:
        return list(s.scalars(select(Organization).where(Organization.kind.in_(GRANTEE_KINDS))
                              .order_by(Organization.name)))


def _own_factory(s: Session, actor: Actor, factory_id: uuid.UUID) -> Factory:
    factory = s.scalar(select(Factory).where(Factory.public_id == factory_id, own_factories(actor)))
    if factory is None:
        raise errors.NotFound("no such factory", field="factory_id")
    return factory


def grant_consent(actor: Actor, *, factory_id: uuid.UUID, lender_id: uuid.UUID, purpose: str, days: int) -> Consent:
    policy.require_kind(actor, "factory")
    if purpose not in PURPOSES:
        raise errors.Invalid(f"purpose must be one of {', '.join(PURPOSES)}", field="purpose")
    if not 1 <= days <= MAX_CONSENT_DAYS:
        raise errors.Invalid(f"a consent lasts 1 to {MAX_CONSENT_DAYS} days", field="days")
    with unit_of_work() as s:
        write_lock(s)
        factory = _own_factory(s, actor, factory_id)
        lender = s.scalar(select(Organization).where(Organization.public_id == lender_id,
                                                    Organization.kind.in_(GRANTEE_KINDS)))
        if lender is None:
            raise errors.Invalid("no such lender", field="lender_id")
        now = utcnow()
        consent = Consent(factory_id=factory.id, lender_org_id=lender.id, purpose=purpose, valid_from=now,
                          valid_until=now + timedelta(days=days), granted_by_id=actor.user_id, granted_at=now,
                          salt=new_salt(), public_id=uuid.uuid4())
        consent.factory, consent.lender = factory, lender
        s.add(consent)
        s.flush()
        log = _log(s, factory, consent, lender, actor.user_id, "granted", purpose)
        appended = record(s, ev.consent_granted(consent, factory, lender), ev.consent_viewed(log, consent, lender))
        consent.ledger_index, log.ledger_index = appended[0].index, appended[1].index
        bus.publish(s, ConsentGranted(consent.id, factory.id, lender.id, purpose, consent.valid_until.isoformat(),
                                      actor.user_id))
        s.commit()
        return consent


def revoke_consent(actor: Actor, consent_id: uuid.UUID) -> Consent:
    with unit_of_work() as s:
        write_lock(s)
        consent = s.scalar(select(Consent).join(Factory, Consent.factory_id == Factory.id)
                           .where(Consent.public_id == consent_id, own_factories(actor)).with_for_update(of=Consent))
        if consent is None:
            raise errors.NotFound("no such consent")
        if consent.revoked_at is not None:
            raise errors.Conflict("this consent is already revoked")
        consent.revoked_at = utcnow()
        log = _log(s, consent.factory, consent, consent.lender, actor.user_id, "revoked", consent.purpose)
        appended = record(s, ev.consent_revoked(consent, consent.factory, consent.lender),
                          ev.consent_viewed(log, consent, consent.lender))
        log.ledger_index = appended[1].index
        bus.publish(s, ConsentRevoked(consent.id, consent.factory_id, consent.lender_org_id, actor.user_id))
        s.commit()
        return consent


def consents_of(actor: Actor) -> list[Consent]:
    """A factory's consents; a lender's or insurer's consents received (live or not)."""
    with unit_of_work() as s:
        q = select(Consent).join(Factory, Consent.factory_id == Factory.id).order_by(Consent.granted_at.desc())
        if actor.org_kind in GRANTEE_KINDS:
            q = q.where(Consent.lender_org_id == actor.org_id)
        elif not actor.is_operator:
            q = q.where(Factory.organization_id == actor.org_id)
        return list(s.scalars(q).unique())


def access_log(actor: Actor, *, limit: int = 200) -> list[AccessLogEntry]:
    """Who looked at the factory's data ('who looked at my data'), newest first."""
    policy.require_kind(actor, "factory")
    with unit_of_work() as s:
        q = (select(AccessLogEntry).join(Factory, AccessLogEntry.factory_id == Factory.id)
             .where(own_factories(actor)).order_by(AccessLogEntry.at.desc(), AccessLogEntry.id.desc()).limit(limit))
        return list(s.scalars(q).unique())


def _log(s: Session, factory: Factory, consent: Consent | None, lender: Organization, user_id: int | None,
         action: str, detail: str = "") -> AccessLogEntry:
    entry = AccessLogEntry(factory_id=factory.id, consent_id=consent.id if consent else None, lender_org_id=lender.id,
                           user_id=user_id, action=action, detail=detail[:200], at=utcnow(), salt=new_salt())
    s.add(entry)
    s.flush()
    return entry


# --- the lender's side --------------------------------------------------------------------

def lender_access(s: Session, actor: Actor, factory: Factory | None) -> Consent | None:
    """The live consent under which `actor` reads `factory` (None for the factory itself and
    operators). Raises NotFound otherwise — after logging the refusal for the factory when
    the lender once held a consent (expired or revoked)."""
    if factory is None:
        raise errors.NotFound("no such factory")
    if actor.is_operator or (actor.org_kind == "factory" and factory.organization_id == actor.org_id):
        return None
    if actor.org_kind != "lender":
        raise errors.NotFound("no such factory")
    now = utcnow()
    consent = s.scalar(select(Consent).where(Consent.factory_id == factory.id, live_consent(actor, now))
                       .order_by(Consent.valid_until.desc()))
    if consent is None:
        former = s.scalar(select(Consent).where(Consent.factory_id == factory.id, Consent.lender_org_id == actor.org_id)
                          .order_by(Consent.granted_at.desc()))
        if former is not None:
            log = _log(s, factory, former, former.lender, actor.user_id, "refused",
                       "revoked" if former.revoked_at else "expired")
            log.ledger_index = record(s, ev.consent_viewed(log, former, former.lender))[0].index
            s.commit()
        raise errors.NotFound("no such factory")
    return consent


def log_read(s: Session, actor: Actor, factory: Factory, consent: Consent | None, action: str, detail: str = "") -> None:
    """A lender's read goes into the factory's access log and on the ledger (before commit)."""
    if consent is None:
        return
    log = _log(s, factory, consent, consent.lender, actor.user_id, action, detail)
    log.ledger_index = record(s, ev.consent_viewed(log, consent, consent.lender))[0].index


def portfolio(actor: Actor) -> list[tuple[Factory, Consent, CreditReport | None]]:
    """Factories that granted this lender a live consent, with the latest report issued."""
    policy.require_kind(actor, "lender")
    now = utcnow()
    with unit_of_work() as s:
        consents = s.scalars(select(Consent).where(live_consent(actor, now)).order_by(Consent.valid_until)).unique()
        out, seen = [], set()
        for c in consents:
            if c.factory_id in seen:
                continue
            seen.add(c.factory_id)
            latest = s.scalar(select(CreditReport).where(CreditReport.factory_id == c.factory_id,
                                                         CreditReport.lender_org_id == actor.org_id)
                              .order_by(CreditReport.created_at.desc()).limit(1))
            out.append((c.factory, c, latest))
        return out


def issue_report(actor: Actor, factory_id: uuid.UUID) -> CreditReport:
    """Compute a fresh report for a lender holding a live consent and record its issue."""
    card = report_mod.active_scorecard()
    with unit_of_work() as s:
        factory = s.scalar(select(Factory).where(Factory.public_id == factory_id))
        consent = lender_access(s, actor, factory)
        policy.require_kind(actor, "lender")  # the factory reads its own reports; lenders issue them
        if actor.is_operator:
            raise errors.Forbidden("reports are issued to lenders")
        now = utcnow()
        public_id = uuid.uuid4()
        content, evidence, result = report_mod.build(s, factory, str(actor.org_public_id), str(public_id), now, card)
        rep = CreditReport(public_id=public_id, factory_id=factory.id, lender_org_id=actor.org_id, consent_id=consent.id,
                           scorecard_version=card.version, score=content["score"], pd_ppm=content["pd_ppm"],
                           grade=content["grade"], content=content, content_hash=report_mod.content_hash(content),
                           evidence=evidence, as_of=now, created_at=now, salt=new_salt())
        rep.factory = factory
        s.add(rep)
        s.flush()
        lender = consent.lender
        log = _log(s, factory, consent, lender, actor.user_id, "report_issued", str(public_id))
        appended = record(s, ev.report_issued(rep, factory, lender), ev.consent_viewed(log, consent, lender))
        rep.ledger_index, log.ledger_index = appended[0].index, appended[1].index
        bus.publish(s, CreditReportIssued(rep.id, factory.id, actor.org_id))
        s.commit()
    CREDIT_REPORTS.inc()
    return rep


def latest_or_issue(actor: Actor, factory_id: uuid.UUID) -> CreditReport:
    """The lender's report on this factory from the last day, or a fresh one."""
    with unit_of_work() as s:
        factory = s.scalar(select(Factory).where(Factory.public_id == factory_id))
        consent = lender_access(s, actor, factory)
        policy.require_kind(actor, "lender")
        if actor.is_operator:
            raise errors.Forbidden("reports are issued to lenders")
        rep = s.scalar(select(CreditReport).where(CreditReport.factory_id == factory.id,
                                                  CreditReport.lender_org_id == actor.org_id,
                                                  CreditReport.created_at > utcnow() - timedelta(hours=REPORT_FRESH_HOURS))
                       .order_by(CreditReport.created_at.desc()).limit(1))
        if rep is not None:
            log_read(s, actor, factory, consent, "report_viewed", str(rep.public_id))
            s.commit()
            return rep
    return issue_report(actor, factory_id)


def get_report(actor: Actor, report_id: uuid.UUID, *, action: str = "report_viewed") -> CreditReport:
    """A report, for the lender it was issued to (live consent only) or the factory it is about."""
    with unit_of_work() as s:
        rep = s.scalar(select(CreditReport).where(CreditReport.public_id == report_id))
        if rep is None or (actor.org_kind == "lender" and rep.lender_org_id != actor.org_id):
            raise errors.NotFound("no such report")
        try:
            consent = lender_access(s, actor, rep.factory)
        except errors.NotFound:
            raise errors.NotFound("no such report") from None
        log_read(s, actor, rep.factory, consent, action, str(rep.public_id))
        s.commit()
        return rep


def reports_of(actor: Actor) -> list[CreditReport]:
    """Reports issued about the factory's factories (factory) or to the lender (lender, live consents only)."""
    now = utcnow()
    with unit_of_work() as s:
        q = select(CreditReport).join(Factory, CreditReport.factory_id == Factory.id).order_by(CreditReport.created_at.desc())
        if actor.org_kind == "lender":
            q = q.where(CreditReport.lender_org_id == actor.org_id, credit_readable_factories(actor, now))
        elif not actor.is_operator:
            q = q.where(Factory.organization_id == actor.org_id)
        return list(s.scalars(q.limit(200)).unique())


def evidence_bundle(actor: Actor, report_id: uuid.UUID) -> dict:
    """The report's evidence with every entry's inclusion proof against one signed checkpoint
    (signed now if the latest does not cover the report's entries)."""
    rep = get_report(actor, report_id, action="evidence_downloaded")
    indices = sorted(set(report_mod.entries_of(rep.evidence)) | {rep.ledger_index})
    with unit_of_work() as s:
        cp, entries = proved_entries(s, indices)
    return {"format": "smm-ledger-evidence/1",
            "subject": {"report": str(rep.public_id), "content_sha256": rep.content_hash,
                        "report_entry": rep.ledger_index, "scorecard": rep.scorecard_version},
            "size": cp.tree_size, "checkpoint": cp.note, "public_key": cp.verifier_key,
            "entries": entries, "disclosures": rep.evidence["disclosures"], "facts": rep.evidence["facts"]}



