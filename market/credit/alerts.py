"""Alerts for a lender on the factories that consented to it: the credit grade fell between
its last two reports, recent OEE collapsed against the factory's own baseline, or a machine
has been down for days. Computed from the consented data when the lender looks; the look is
in the factory's access log ('monitored', at most once a day per factory)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from market import policy
from market.auth import Actor
from market.catalog.models import Factory, Machine
from market.credit.access import live_consent
from market.credit.models import AccessLogEntry, Consent, CreditReport
from market.credit.scorecard import GRADES
from market.db import unit_of_work, utcnow, write_lock

RECENT_DAYS = 7  # OEE of the last closed days ...
BASELINE_DAYS = 90  # ... against the days before them
MIN_RECENT_DAYS = 3  # planned days needed in the recent window
COLLAPSE_RATIO = 0.5  # recent mean below half the baseline mean
DOWN_FOR = timedelta(hours=48)  # a machine down this long, and still down

RANK = {grade: i for i, (grade, _) in enumerate(GRADES)}


@dataclass(frozen=True)
class Alert:
    factory_id: str
    factory_name: str
    kind: str  # grade_drop | oee_collapse | machine_down
    at: datetime
    facts: dict = field(default_factory=dict)


def grade_dropped(previous: str | None, latest: str | None) -> bool:
    """Worse by at least one grade (AAA best ... C worst); a report without a grade
    (insufficient data) is no drop."""
    return previous is not None and latest is not None and RANK[latest] > RANK[previous]


def oee_collapsed(days: list[tuple], today) -> tuple[float, float] | None:
    """(recent mean, baseline mean) when the recent OEE fell below COLLAPSE_RATIO of the
    baseline; `days` are (local day, OEE or None) of closed days."""
    recent_from = today - timedelta(days=RECENT_DAYS)
    recent = [v for d, v in days if v is not None and recent_from <= d < today]
    base = [v for d, v in days if v is not None and recent_from - timedelta(days=BASELINE_DAYS) <= d < recent_from]
    if len(recent) < MIN_RECENT_DAYS or not base:
        return None
    r, b = sum(recent) / len(recent), sum(base) / len(base)
    return (r, b) if b > 0 and r < COLLAPSE_RATIO * b else None


def _factory_alerts(s, actor: Actor, factory: Factory, now: datetime) -> list[Alert]:
    from market.telemetry import calendar as cal
    from market.telemetry import queries as telemetry

    out = []
    key, name = str(factory.public_id), factory.name
    latest = list(s.scalars(select(CreditReport).where(CreditReport.factory_id == factory.id,
                                                       CreditReport.lender_org_id == actor.org_id)
                            .order_by(CreditReport.created_at.desc()).limit(2)))
    if len(latest) == 2 and grade_dropped(latest[1].grade, latest[0].grade):
        out.append(Alert(key, name, "grade_drop", latest[0].created_at,
                         {"from": latest[1].grade, "to": latest[0].grade, "score_from": latest[1].score,
                          "score_to": latest[0].score, "report": str(latest[0].public_id)}))
    today = cal.local_day(now, factory.timezone)
    days = telemetry.factory_oee_days(s, factory.id, today - timedelta(days=RECENT_DAYS + BASELINE_DAYS), today)
    collapse = oee_collapsed([(d.day, d.oee) for d in days], today)
    if collapse:
        out.append(Alert(key, name, "oee_collapse", now, {"recent": round(collapse[0], 4), "baseline": round(collapse[1], 4),
                                                          "days": RECENT_DAYS}))
    names = dict(s.execute(select(Machine.id, Machine.name).where(Machine.factory_id == factory.id)).all())
    down_since: dict[int, datetime] = {}
    # intervals reach as far as the last ingest or rollup: one that ends within the offline
    # limit is the machine's current state
    current = now - timedelta(seconds=current_app.config["TELEMETRY_OFFLINE_AFTER_S"])
    for d in telemetry.factory_downtime(s, factory.id, now - timedelta(days=30), now):
        if d.end >= current and d.end - d.start >= DOWN_FOR:
            down_since[d.machine_id] = d.start
    for machine_id, since in sorted(down_since.items()):
        out.append(Alert(key, name, "machine_down", since, {"machine": names.get(machine_id, ""),
                                                            "hours": int((now - since).total_seconds() // 3600)}))
    return out


def lender_alerts(actor: Actor, now: datetime | None = None) -> list[Alert]:
    """The alerts on every factory with a live consent to `actor`, newest first."""
    from market.credit import events as ev
    from market.credit.services import _log
    from market.journal.ledger import record

    policy.require_kind(actor, "lender")
    now = now or utcnow()
    with unit_of_work() as s:
        consents = list(s.scalars(select(Consent).where(live_consent(actor, now))
                                  .order_by(Consent.valid_until.desc())).unique())
        seen, alerts, looked = set(), [], []
        for c in consents:
            if c.factory_id in seen:
                continue
            seen.add(c.factory_id)
            alerts += _factory_alerts(s, actor, c.factory, now)
            if not s.scalar(select(AccessLogEntry.id).where(
                    AccessLogEntry.factory_id == c.factory_id, AccessLogEntry.lender_org_id == actor.org_id,
                    AccessLogEntry.action == "monitored", AccessLogEntry.at >= now - timedelta(days=1)).limit(1)):
                looked.append(c)
        if looked:
            write_lock(s)
            logs = [(_log(s, c.factory, c, c.lender, actor.user_id, "monitored", "alerts"), c) for c in looked]
            entries = record(s, *(ev.consent_viewed(log, c, c.lender) for log, c in logs))
            for (log, _), entry in zip(logs, entries):
                log.ledger_index = entry.index
            s.commit()
        return sorted(alerts, key=lambda a: a.at, reverse=True)
