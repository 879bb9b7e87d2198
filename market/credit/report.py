"""Assemble a credit report: facts → features → scorecard → reasons, credit line, peers,
chart series, and the evidence specs. The content is canonical JSON (no floats: figures
are decimal strings), so its SHA-256 can be committed on the ledger."""
from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy.orm import Session

from ledger.encoding import canonical_bytes

from market.catalog.models import Factory
from market.credit import exposure as exposure_mod
from market.credit import facts as facts_mod
from market.credit import peers as peers_mod
from market.credit import sufficiency
from market.credit.features import Feature, compute_features, oee_defined, oee_value
from market.credit.featureset import FEATURES
from market.credit.pricing import CreditLine, credit_line
from market.credit.scorecard import Scorecard, load

RECEIVABLE_DAYS = 30


def active_scorecard() -> Scorecard:
    return load(current_app.config["CREDIT_SCORECARD_VERSION"] or None)


def minimum() -> sufficiency.Minimum:
    c = current_app.config
    return sufficiency.Minimum(c["CREDIT_MIN_HISTORY_DAYS"], c["CREDIT_MIN_OEE_DAYS"], c["CREDIT_MIN_DELIVERIES"],
                               c["CREDIT_GRADE_CAP"])


def _num(v: float | None, places: int = 4) -> str | None:
    return None if v is None else f"{v:.{places}f}"


def feature_values(features: dict[str, Feature]) -> dict[str, float | None]:
    return {n: f.value for n, f in features.items()}


def factory_features(session: Session, factory: Factory, as_of: datetime):
    facts = facts_mod.gather(session, factory, as_of)
    return facts, compute_features(facts, facts_mod.entry_reader(session))


def receivables(facts) -> int:
    """Accepted sales not yet delivered, or delivered within the usual payment term."""
    delivered = {d.order: d.delivered_at for d in facts.deliveries}
    cutoff = facts.as_of - timedelta(days=RECEIVABLE_DAYS)
    return sum(s.amount_minor for s in facts.sales if delivered.get(s.order, facts.as_of) >= cutoff)


def exposure(session: Session, factory: Factory, currency: str, as_of: datetime) -> dict:
    """What lenders already carry on the factory, in the report's currency, product by
    product (credit.exposure: assigned receivables, other financing, leases, and whatever
    product registered a source), with the repayment behaviour of each. The suggested line is
    reduced by `total_minor`."""
    return exposure_mod.report_exposure(session, factory.id, currency, as_of.date())


def series(facts) -> dict:
    oee = []
    util = {}
    for d in sorted(facts.oee_days, key=lambda d: d.day):
        if d.planned_s > 0:
            util[d.day.isoformat()] = _num(d.run_s / d.planned_s)
            if oee_defined(d):  # a planned day that never ran is drawn at 0, not left out
                oee.append([d.day.isoformat(), _num(oee_value(d))])
    months = defaultdict(lambda: [0, 0])
    for d in facts.deliveries:
        months[d.delivered_at.strftime("%Y-%m")][0 if d.delivered_at <= d.promised_at else 1] += 1
    return {"oee": oee, "utilization": util, "deliveries": [[m, *months[m]] for m in sorted(months)]}


def build(session: Session, factory: Factory, lender_public_id: str, report_public_id: str, as_of: datetime,
          card: Scorecard) -> tuple[dict, dict, object]:
    """(content, evidence specs, scorecard result) of a report on `factory` at `as_of`."""
    facts, features = factory_features(session, factory, as_of)
    values = feature_values(features)
    result = card.score(values)
    klass, peer_rows = peers_mod.peer_factories(session, factory)
    peer_values = [feature_values(factory_features(session, p, as_of)[1]) for p in peer_rows]
    positions = peers_mod.positions(values, peer_values)
    revenue = sum(s.amount_minor for s in facts.sales if s.paid and s.accepted_at >= as_of - timedelta(days=180))
    floor = minimum()
    verdict = sufficiency.assess(facts, features, floor)
    score, pd, grade = result.score, result.pd, result.grade
    if verdict.status == sufficiency.INSUFFICIENT:  # no grade, no score, no offer: see the shortfalls
        score = pd = grade = None
    elif verdict.status == sufficiency.CAPPED:
        grade, pd = sufficiency.capped_grade(grade, floor.cap), max(pd, floor.pd_floor)
    owed = exposure(session, factory, facts.currency, as_of)
    if grade is None:
        line = CreditLine(facts.currency, revenue, receivables(facts), 0, None, None, owed["total_minor"])
    else:
        line = credit_line(grade=grade, pd=pd, revenue_180d_minor=revenue, receivables_minor=receivables(facts),
                           currency=facts.currency, base_rate_bp=current_app.config["CREDIT_BASE_RATE_BP"],
                           exposure_minor=owed["total_minor"])
    points = {c.feature: c for c in result.contributions}
    content = {
        "format": "smm-credit-report/1",
        "report": report_public_id,
        "factory": {"id": str(factory.public_id), "name": factory.name, "region": factory.region,
                    "process_class": klass, "machines": len(factory.machines)},
        "lender": lender_public_id,
        "as_of": as_of.isoformat(),
        "scorecard": {"version": card.version, "auc": _num(card.metrics["auc"]), "gini": _num(card.metrics["gini"]),
                      "ks": _num(card.metrics["ks"])},
        "score": score, "pd_ppm": None if pd is None else round(pd * 1_000_000), "grade": grade,
        "rating": {**verdict.to_dict(), "cap": floor.cap if verdict.status == sufficiency.CAPPED else None,
                   "scorecard_grade": result.grade if verdict.status == sufficiency.CAPPED else None},
        "reasons": [] if grade is None else [
            {"feature": c.feature, "missing": False, "points_below_best": _num(c.shortfall, 1)} for c in result.reasons(4)],
        "missing_data": [c.feature for c in result.missing()],
        "features": [{"name": spec.name, "value": features[spec.name].display, "unit": spec.unit,
                      "basis": features[spec.name].basis,
                      "window_start": features[spec.name].window_start.isoformat() if features[spec.name].window_start else None,
                      "window_end": as_of.isoformat(),
                      "points": _num(points[spec.name].points, 1) if spec.name in points else None,
                      "records": len(features[spec.name].evidence["records"]) if features[spec.name].evidence else None}
                     for spec in FEATURES],
        "peers": {"process_class": klass, "region": factory.region, "count": len(peer_rows),
                  "features": {n: {"percentile": p.percentile, "peers": p.peers, "median": _num(p.median)}
                               for n, p in positions.items()}},
        "credit_line": line.to_dict(),
        "exposure": owed,
        "series": series(facts),
    }
    return content, evidence_specs(features), result


def evidence_specs(features: dict[str, Feature]) -> dict:
    """Facts and disclosures of the ledger-verified features (entries and proofs are added
    when the bundle is downloaded, against the checkpoint current then)."""
    disclosures: list[dict] = []
    keys: dict[tuple[int, str], int] = {}

    def ref_spec(ref) -> dict:
        if isinstance(ref, dict):
            return ref
        if ref.payload is None:
            return ref.to_spec()
        key = (ref.index, ref.commitment_path)
        if key not in keys:
            keys[key] = len(disclosures)
            disclosures.append({"entry": ref.index, "path": ref.commitment_path, "payload": ref.payload, "salt": ref.salt})
        return {"disclosure": keys[key], "path": ref.path, "type": ref.type}

    facts = []
    for name, f in features.items():
        if f.evidence is None:
            continue
        facts.append({"name": name, "value": f.display, "op": f.evidence["op"], "args": f.evidence["args"],
                      "window": f.evidence["window"],
                      "records": [{k: ref_spec(v) for k, v in rec.items()} for rec in f.evidence["records"]]})
    return {"facts": facts, "disclosures": disclosures}


def entries_of(evidence: dict) -> list[int]:
    idx = {d["entry"] for d in evidence["disclosures"]}
    for fact in evidence["facts"]:
        for rec in fact["records"]:
            idx.update(ref["entry"] for ref in rec.values() if "entry" in ref)
    return sorted(idx)


def content_hash(content: dict) -> str:
    return hashlib.sha256(canonical_bytes(content)).hexdigest()

