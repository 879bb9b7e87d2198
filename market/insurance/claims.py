"""Downtime claims: pre-filled from the insured machine's state intervals, each day of the loss
window backed by that day's ledger-committed summary; the claim commits to its days and
indemnity; the insurer decides. The claim's evidence bundle lets the insurer (or anyone) verify
the loss window with `python -m ledger verify-evidence` without trusting the platform: every
day's summary was committed when the day closed, before the claim, and the claim may count no
more downtime on a day than that summary holds."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ledger.disclosure import new_salt
from ledger.events import format_when
from ledger.evidence import EVIDENCE_FORMAT, fmt
from market import bus, errors, policy
from market.auth import Actor
from market.db import unit_of_work, utcnow, write_lock
from market.insurance import events as ev
from market.insurance import tariff
from market.insurance.domain_events import ClaimDecided, ClaimFiled
from market.insurance.models import Claim, Policy
from market.insurance.premiums import last_closed
from market.insurance.services import find
from market.journal.ledger import proved_entries, record
from market.telemetry import calendar as cal
from market.telemetry.models import MachineDay, StateInterval
from market.telemetry.queries import machine_intervals

LIVE = ("filed", "approved")  # a loss window is claimed once
DAY_TYPE, TERMS_TYPE, CLAIM_TYPE = "telemetry.machine_day_summary", "insurance.policy_issued", "insurance.claim_filed"


@dataclass(frozen=True)
class Candidate:
    """A down interval of the insured machine that a claim can be filed for."""

    start_at: datetime
    end_at: datetime
    reason: str
    seconds: int
    indemnity_minor: int


def _term(p: Policy, now: datetime) -> tuple[datetime, datetime]:
    """[first instant of the term, the end of the term or of the last closed day, if earlier)."""
    tz = p.factory.timezone
    end = min(cal.day_bounds(p.end_day - timedelta(days=1), tz)[1], cal.day_bounds(last_closed(p.factory, now), tz)[1])
    return cal.day_bounds(p.start_day, tz)[0], end


def _claimed(s, p: Policy) -> list[tuple[datetime, datetime]]:
    return [(c.start_at, c.end_at) for c in s.scalars(select(Claim).where(
        Claim.policy_id == p.id, Claim.status.in_(LIVE))).unique()]


def _indemnity(p: Policy, seconds: int) -> int:
    return tariff.indemnity(rate_minor_per_hour=p.rate_minor_per_hour, deductible_hours=p.deductible_hours,
                            limit_minor=p.sum_insured_minor, down_seconds=seconds)


def candidates(actor: Actor, policy_id: uuid.UUID, now: datetime | None = None) -> list[Candidate]:
    """The machine's down intervals inside the term and its closed days, not yet claimed: what
    the claim form offers, pre-filled."""
    now = now or utcnow()
    with unit_of_work() as s:
        p = find(s, actor, policy_id)
        if p.coverage != "breakdown" or p.status not in ("active", "ended"):
            return []
        lo, hi = _term(p, now)
        if hi <= lo:
            return []
        taken = _claimed(s, p)
        out = []
        for _, a, b, _, reason in machine_intervals(s, start=lo, end=hi, machine_id=p.machine_id, states=("down",)):
            if any(a < y and x < b for x, y in taken):
                continue
            seconds = int((b - a).total_seconds())
            out.append(Candidate(a, b, reason or "", seconds, _indemnity(p, seconds)))
        return out


def _down_by_day(s, p: Policy, start: datetime, end: datetime) -> dict[str, int]:
    """Down seconds of the machine inside [start, end), per local day (intervals are split at
    the factory's midnights, so each has one day)."""
    out: dict[str, int] = {}
    for si in s.scalars(select(StateInterval).where(
            StateInterval.machine_id == p.machine_id, StateInterval.state == "down",
            StateInterval.start_at < end, StateInterval.end_at > start)):
        seconds = int((min(si.end_at, end) - max(si.start_at, start)).total_seconds())
        if seconds > 0:
            out[si.day.isoformat()] = out.get(si.day.isoformat(), 0) + seconds
    return dict(sorted(out.items()))


def file_claim(actor: Actor, policy_id: uuid.UUID, *, start_at: datetime, end_at: datetime,
               now: datetime | None = None) -> Claim:
    """The insured claims the downtime of the machine inside [start_at, end_at)."""
    now = now or utcnow()
    with unit_of_work() as s:
        write_lock(s)
        p = find(s, actor, policy_id, lock=True)
        if p.insured_org_id != actor.org_id:
            raise errors.refusal(errors.Forbidden, _l("Only the insured files a claim."))
        if p.coverage != "breakdown":
            raise errors.refusal(errors.Conflict, _l("Downtime is claimed on a breakdown policy."))
        if p.status not in ("active", "ended"):
            raise errors.refusal(errors.Conflict, _l("This policy is %(status)s; claims are filed on issued policies.", status=p.status))
        if end_at <= start_at:
            raise errors.refusal(errors.Invalid, _l("The loss window ends after it starts."), field="end_at")
        lo, hi = _term(p, now)
        if start_at < lo or end_at > cal.day_bounds(p.end_day - timedelta(days=1), p.factory.timezone)[1]:
            raise errors.refusal(errors.Invalid, _l("The loss window lies outside the policy's term."), field="start_at")
        if end_at > hi:
            raise errors.refusal(errors.Invalid, _l("The loss window reaches a day whose machine data is not closed yet."),
                                 field="end_at")
        if any(start_at < y and x < end_at for x, y in _claimed(s, p)):
            raise errors.refusal(errors.Conflict, _l("Part of this loss window is already claimed."), field="start_at")
        days = _down_by_day(s, p, start_at, end_at)
        if not days:
            raise errors.refusal(errors.Invalid, _l("The machine was not down in this window."), field="start_at")
        summaries = {d.day.isoformat(): d for d in s.scalars(select(MachineDay).where(
            MachineDay.machine_id == p.machine_id, MachineDay.day.in_([datetime.fromisoformat(k).date() for k in days])))}
        for day, seconds in days.items():
            summary = summaries.get(day)
            if summary is None or summary.ledger_index is None or not summary.committed:
                raise errors.refusal(errors.Invalid, _l("The machine's summary of %(day)s is not on the ledger yet.", day=day),
                                     field="start_at")
            if seconds > int(summary.committed.get("down_s", 0)):
                raise errors.refusal(errors.Invalid, _l("On %(day)s the machine's summary on the ledger holds %(held)s s of downtime, "
                                       "less than the %(claimed)s s claimed.", day=day,
                                       held=summary.committed.get("down_s", 0), claimed=seconds), field="start_at")
        down_s = sum(days.values())
        claim = Claim(public_id=uuid.uuid4(), policy_id=p.id, start_at=start_at, end_at=end_at, down_s=down_s,
                      days=days, claimed_minor=_indemnity(p, down_s), status="filed", created_at=now, salt=new_salt(),
                      day_entries=[{"entry": summaries[d].ledger_index, "payload": summaries[d].committed,
                                    "salt": summaries[d].salt} for d in days])
        claim.policy = p
        claim.committed = {"policy": str(p.public_id), "claim": str(claim.public_id), "machine": str(p.machine.public_id),
                           "start": format_when(start_at), "end": format_when(end_at), "days": days, "down_s": down_s,
                           "claimed_minor": claim.claimed_minor, "currency": p.currency}
        s.add(claim)
        s.flush()
        claim.ledger_index = record(s, ev.claim_filed(claim, now))[0].index
        bus.publish(s, ClaimFiled(claim.id))
        s.commit()
        return claim


def _find_claim(s, actor: Actor, claim_id: uuid.UUID, *, lock: bool = False) -> Claim:
    claim = policy.one_row(s, Claim, claim_id, missing=_l("No such claim."), lock=lock)
    find(s, actor, claim.policy.public_id)  # the same 404 as the policy for anyone else
    return claim


def get_claim(actor: Actor, claim_id: uuid.UUID) -> Claim:
    with unit_of_work() as s:
        return _find_claim(s, actor, claim_id)


def claims_of(actor: Actor, policy_id: uuid.UUID) -> list[Claim]:
    with unit_of_work() as s:
        p = find(s, actor, policy_id)
        return list(s.scalars(select(Claim).where(Claim.policy_id == p.id).order_by(Claim.start_at)).unique())


def _decision(actor: Actor, claim: Claim, approve: bool, approved_minor: int | None, reason: str) -> int:
    """The amount a decision approves (0 for a rejection), or its refusal."""
    if claim.policy.insurer_org_id != actor.org_id:
        raise errors.refusal(errors.Forbidden, _l("Only the insurer decides a claim."))
    if claim.status != "filed":
        raise errors.refusal(errors.Conflict, _l("This claim is already decided."))
    if not approve:
        if not reason.strip():
            raise errors.refusal(errors.Invalid, _l("Say why the claim is rejected."), field="reason")
        return 0
    amount = claim.claimed_minor if approved_minor is None else approved_minor
    if not 0 <= amount <= claim.claimed_minor:
        raise errors.refusal(errors.Invalid, _l("The approved amount is between zero and the indemnity claimed."),
                             field="approved_minor")
    return amount


def check_decision(actor: Actor, claim_id: uuid.UUID, *, approve: bool, approved_minor: int | None = None,
                   reason: str = "") -> int:
    """What `decide` would refuse, without deciding: the portal asks for a confirmation only of
    a decision that can be carried out. Returns the amount it would approve."""
    with unit_of_work() as s:
        return _decision(actor, _find_claim(s, actor, claim_id), approve, approved_minor, reason)


def decide(actor: Actor, claim_id: uuid.UUID, *, approve: bool, approved_minor: int | None = None,
           reason: str = "", now: datetime | None = None) -> Claim:
    """The insurer approves (the indemnity claimed, or less) or rejects (with a reason) a claim."""
    now = now or utcnow()
    with unit_of_work() as s:
        write_lock(s)
        claim = _find_claim(s, actor, claim_id, lock=True)
        amount = _decision(actor, claim, approve, approved_minor, reason)
        claim.status, claim.approved_minor = ("approved", amount) if approve else ("rejected", 0)
        claim.decision_reason, claim.decided_at = reason.strip() or None, now
        claim.decided_ledger_index = record(s, ev.claim_decided(claim, now))[0].index
        bus.publish(s, ClaimDecided(claim.id))
        s.commit()
        return claim


def facts(p: Policy, claim: Claim) -> list[dict]:
    """Per claimed day its committed downtime beside the seconds claimed, the policy's terms
    and the claim's figures: the verifier recomputes the loss and the indemnity."""
    def day(k: int, path: str) -> dict:
        return {"disclosure": k, "path": path, "type": DAY_TYPE}

    def terms(path: str) -> dict:
        return {"disclosure": 0, "path": path, "type": TERMS_TYPE}

    def filed(path: str) -> dict:
        return {"disclosure": 1, "path": path, "type": CLAIM_TYPE}

    records = []
    for k, d in enumerate(claim.day_entries, start=2):
        records.append({"day": day(k, "day"), "machine": day(k, "machine"), "down": day(k, "down_s"),
                        "claimed": filed(f"days.{d['payload']['day']}"), "insured": terms("machine"),
                        "from": terms("from"), "until": terms("until"), "rate": terms("rate_minor_per_hour"),
                        "deductible": terms("deductible_hours"), "limit": terms("sum_insured_minor"),
                        "total": filed("down_s"), "indemnity": filed("claimed_minor")})
    first = min(claim.days)
    last = (datetime.fromisoformat(max(claim.days)) + timedelta(days=1)).date().isoformat()
    window = {"field": "day", "start": first, "end": last}
    return [{"name": "loss_seconds", "value": fmt(claim.down_s), "op": "sum", "window": window,
             "records": [{"day": r["day"], "x": r["claimed"]} for r in records]},
            {"name": "indemnity_minor", "value": fmt(claim.claimed_minor), "op": "downtime_claim", "window": window,
             "records": records}]


def evidence(actor: Actor, claim_id: uuid.UUID) -> dict:
    """The claim's evidence bundle (insurer or insured): the issued policy's terms, the claim
    and each day's committed summary, each with its inclusion proof against one signed checkpoint."""
    with unit_of_work() as s:
        claim = _find_claim(s, actor, claim_id)
        p = claim.policy
        disclosures = [{"entry": p.issued_ledger_index, "path": "event.data.commitment", "payload": p.terms,
                        "salt": p.salt},
                       {"entry": claim.ledger_index, "path": "event.data.commitment", "payload": claim.committed,
                        "salt": claim.salt}]
        disclosures += [{"entry": d["entry"], "path": "event.data.commitment", "payload": d["payload"],
                         "salt": d["salt"]} for d in claim.day_entries]
        cp, entries = proved_entries(s, sorted({d["entry"] for d in disclosures}))
        return {"format": EVIDENCE_FORMAT,
                "subject": {"policy": str(p.public_id), "claim": str(claim.public_id), "machine": str(p.machine.public_id),
                            "start": claim.committed["start"], "end": claim.committed["end"],
                            "down_s": claim.down_s, "claimed_minor": claim.claimed_minor, "currency": p.currency},
                "size": cp.tree_size, "checkpoint": cp.note, "public_key": cp.verifier_key,
                "entries": entries, "disclosures": disclosures, "facts": facts(p, claim)}
