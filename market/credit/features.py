"""Credit features from facts, each figure paired with the evidence it is computed from.

Pure: facts in (plain dataclasses gathered by market.credit.facts), features out. A
ledger-verified feature is computed by `ledger.evidence.compute` over exactly the records
the evidence bundle carries, so the verifier recomputes the same number from the entries.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from ledger.evidence import compute

from market.credit.featureset import BY_NAME, NAMES


@dataclass(frozen=True)
class Ref:
    """Where a record's value lives: a path in a ledger entry, or a path in a payload
    disclosed against the commitment at `commitment_path` of that entry."""

    index: int
    path: str
    type: str
    payload: dict | None = None
    salt: str | None = None
    commitment_path: str = "event.data.commitment"

    def to_spec(self) -> dict:
        return {"entry": self.index, "path": self.path, "type": self.type}


@dataclass(frozen=True)
class OeeDay:
    day: date
    planned_s: int
    run_s: int
    total: int
    good: int
    ideal_work_ms: int | None
    ideal_run_s: int
    ledger_index: int | None
    payload: dict | None = None  # the committed figures (keys as above) and their salt
    salt: str | None = None


@dataclass(frozen=True)
class Delivery:
    order: str
    promised_at: datetime
    delivered_at: datetime
    ledger_index: int | None  # delivery.confirmed
    promised_ref: Ref | None = None  # where the promise is on the ledger


@dataclass(frozen=True)
class QcRecord:
    lot: str
    result: str  # pass | fail
    recorded_at: datetime
    ledger_index: int | None
    result_path: str = "event.data.result"


@dataclass(frozen=True)
class Sale:
    order: str
    buyer: str
    accepted_at: datetime
    amount_minor: int
    currency: str
    ledger_index: int | None
    payload: dict | None = None
    salt: str | None = None
    commitment_path: str = "event.data.commitment"
    amount_path: str = "amount_minor"
    paid_ref: Ref | None = None  # the buyer's payment was captured (its entry): verified revenue

    @property
    def paid(self) -> bool:
        return self.paid_ref is not None


@dataclass(frozen=True)
class Event:
    """A dated fact about an order that is only counted (a dispute opened, an order
    cancelled): its entry holds `value` at `path`."""

    key: str
    at: datetime
    ledger_index: int | None
    type: str
    path: str = "event.type"
    value: str = ""


@dataclass(frozen=True)
class Instalment:
    due_on: date
    paid_at: datetime | None
    schedule_ref: Ref | None  # the due date, disclosed from financing.disbursed
    paid_ref: Ref | None  # the payment date, disclosed from financing.repaid


@dataclass
class Facts:
    as_of: datetime
    currency: str = "CNY"
    oee_days: list[OeeDay] = field(default_factory=list)
    offered_s: int = 0
    booked_s: int = 0
    machines: int = 0
    down_intervals: list[tuple[datetime, datetime]] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    qc: list[QcRecord] = field(default_factory=list)
    sales: list[Sale] = field(default_factory=list)
    disputes: list[Event] | None = None  # None: no source for them (yet): the feature is missing
    cancellations: list[Event] | None = None
    first_event: Event | None = None
    instalments: list[Instalment] = field(default_factory=list)


@dataclass(frozen=True)
class Feature:
    name: str
    value: float | None
    display: str | None  # the printed figure (4 decimals), what the evidence recomputes
    window_start: datetime | None
    window_end: datetime
    evidence: dict | None  # {"op", "args", "window", "records": [{field: Ref}]} when ledger-verified
    basis: str  # "ledger" or "platform records"


def _iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=timezone.utc)


def _walk(value, path: str):
    for part in path.split(".") if path else []:
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


class _Builder:
    def __init__(self, facts: Facts, read_entry):
        self.f = facts
        self.read_entry = read_entry
        self.end = facts.as_of
        self.out: dict[str, Feature] = {}

    def start(self, days: int | None) -> datetime | None:
        return self.end - timedelta(days=days) if days else None

    def resolve(self, ref) -> object:
        if isinstance(ref, dict):
            return ref["const"]
        if ref.payload is not None:
            return _walk(ref.payload, ref.path)
        return _walk(self.read_entry(ref.index), ref.path)

    def ledger(self, name: str, op: str, records: list[dict], args: dict | None = None,
               window_field: str | None = None) -> None:
        """A figure computed from what its evidence records resolve to on the ledger."""
        spec = BY_NAME[name]
        plain = [{k: self.resolve(ref) for k, ref in rec.items()} for rec in records]
        start = self.start(spec.window_days)
        display = compute(op, plain, args)
        window = ({"field": window_field, "start": _iso(start), "end": _iso(self.end)}
                  if window_field and start else None)
        evidence = {"op": op, "args": args or {}, "window": window, "records": records}
        self.out[name] = Feature(name, None if display is None else float(display), display, start, self.end,
                                 evidence, "ledger")

    def platform(self, name: str, value: float | None) -> None:
        spec = BY_NAME[name]
        display = None if value is None or math.isnan(value) else f"{value:.4f}"
        self.out[name] = Feature(name, None if display is None else float(display), display,
                                 self.start(spec.window_days), self.end, None, "platform records")

    def within(self, t: datetime, days: int) -> bool:
        return self.end - timedelta(days=days) <= t < self.end


OEE_ARGS = {"num": ["run_s", "ideal_work_ms", "good"], "den": ["planned_s", "ideal_run_s", "total"], "scale": 1000,
            "positive": ["planned_s"]}
OEE_FIELDS = ("planned_s", "run_s", "total", "good", "ideal_work_ms", "ideal_run_s")


def oee_defined(d: OeeDay) -> bool:
    """Whether the day has an OEE (as market.telemetry.oee): time was planned, the ideal
    cycles are known, and either nothing ran (availability 0, so OEE 0 — such a day counts,
    it is not skipped) or the machines with a known cycle ran (performance defined; no parts
    then means OEE 0). Unplanned days (weekends, no shifts) have none."""
    if d.planned_s <= 0 or d.ideal_work_ms is None:
        return False
    return d.run_s == 0 or d.ideal_run_s > 0


def oee_value(d: OeeDay) -> float:
    """A × P × Q of a day with oee_defined; 0 when nothing ran or nothing was made."""
    if d.run_s == 0 or d.ideal_work_ms == 0 or d.good == 0:
        return 0.0
    return d.run_s / d.planned_s * (d.ideal_work_ms / 1000 / d.ideal_run_s) * (d.good / d.total)


def _oee_records(b: _Builder, days: int):
    records = []
    for d in sorted(b.f.oee_days, key=lambda d: d.day):
        t = _day_start(d.day)
        if not b.within(t, days) or d.ledger_index is None or d.payload is None:
            continue
        if not oee_defined(d):
            continue
        ref = lambda path: Ref(d.ledger_index, path, "telemetry.daily_summary", d.payload, d.salt)  # noqa: E731
        records.append({"t": ref("day"), **{k: ref(k) for k in OEE_FIELDS}})
    return records


def compute_features(facts: Facts, read_entry) -> dict[str, Feature]:
    """`read_entry(index)` gives a decoded ledger entry ({"event", "index", "signer"})."""
    b = _Builder(facts, read_entry)
    f = facts

    r90 = _oee_records(b, 90)
    b.ledger("oee_mean_90d", "mean", r90, OEE_ARGS, "t")
    b.ledger("oee_volatility_90d", "stdev", r90, OEE_ARGS, "t")
    b.ledger("oee_trend_180d", "slope_per_30d", _oee_records(b, 180), OEE_ARGS, "t")

    b.platform("utilization_90d", f.booked_s / f.offered_s if f.offered_s else None)
    window_s = 90 * 86400
    start90 = b.start(90)
    down = [(max(s, start90), min(e, b.end)) for s, e in f.down_intervals if e > start90 and s < b.end]
    down_s = sum((e - s).total_seconds() for s, e in down)
    b.platform("downtime_share_90d", down_s / (f.machines * window_s) if f.machines else None)
    b.platform("mttr_hours_90d", down_s / 3600 / len(down) if down else None)

    recs = []
    for d in f.deliveries:
        if not b.within(d.delivered_at, 180) or d.ledger_index is None or d.promised_ref is None:
            continue
        recs.append({"a": Ref(d.ledger_index, "event.when", "delivery.confirmed"), "b": d.promised_ref})
    b.ledger("on_time_rate_180d", "share_le", recs, None, "a")
    b.ledger("avg_lateness_days_180d", "mean_excess_days", recs, None, "a")

    recs = []
    for q in f.qc:
        if b.within(q.recorded_at, 180) and q.ledger_index is not None:
            recs.append({"t": Ref(q.ledger_index, "event.when", "qc.recorded"),
                         "x": Ref(q.ledger_index, q.result_path, "qc.recorded")})
    b.ledger("qc_pass_rate_180d", "share_eq", recs, {"value": "pass"}, "t")

    sales180 = [s for s in f.sales if b.within(s.accepted_at, 180) and s.ledger_index is not None and s.payload]
    for name, events in (("dispute_rate_180d", f.disputes), ("cancellation_rate_180d", f.cancellations)):
        # share of the period's accepted orders that were later disputed / cancelled: each hit
        # points at the entry that says so, the others count as "none"
        if events is None:
            b.ledger(name, "share_eq", [], {"value": "none"}, "t")
            continue
        hits = {e.key: e for e in events if e.ledger_index is not None and e.at >= b.start(180)}
        expected = next(iter(hits.values())).value if hits else (events[0].value if events else "yes")
        recs = []
        for s in sales180:
            e = hits.get(s.order)
            recs.append({"t": Ref(s.ledger_index, "event.when", "quote.accepted"),
                         "x": Ref(e.ledger_index, e.path, e.type) if e else {"const": "none"}})
        b.ledger(name, "share_eq", recs, {"value": expected}, "t")

    def sale_ref(s: Sale, path: str) -> Ref:
        return Ref(s.ledger_index, path, "quote.accepted", s.payload, s.salt, s.commitment_path)

    # revenue is what buyers paid: a sale counts once its payment was captured ("p" points at
    # the payment.captured entry); accepted but unpaid orders are receivables, not revenue
    sale_recs = [{"t": Ref(s.ledger_index, "event.when", "quote.accepted"), "x": sale_ref(s, s.amount_path),
                  "g": Ref(s.ledger_index, "event.org", "quote.accepted"), "p": s.paid_ref}
                 for s in sales180 if s.paid]
    b.ledger("revenue_log10_180d", "log10_sum", sale_recs, {"scale": 100}, "t")
    b.ledger("customer_concentration_180d", "top_share", sale_recs, None, "t")
    mid = b.start(90)
    b.ledger("revenue_growth_90d", "growth", sale_recs,
             {"start": _iso(b.start(180)), "mid": _iso(mid), "end": _iso(b.end)}, "t")

    if f.first_event is not None and f.first_event.ledger_index is not None:
        b.ledger("tenure_months", "months_since_min",
                 [{"t": Ref(f.first_event.ledger_index, "event.when", f.first_event.type)}], {"as_of": _iso(b.end)})
    else:
        b.ledger("tenure_months", "months_since_min", [], {"as_of": _iso(b.end)})

    recs = []
    for i in f.instalments:
        due_by = _day_start(i.due_on) + timedelta(days=1)  # due by the end of its day (UTC)
        if due_by > b.end or i.schedule_ref is None:
            continue
        if i.paid_at is not None and i.paid_ref is not None and i.paid_at < b.end:
            recs.append({"a": i.paid_ref, "b": i.schedule_ref})
        else:  # still unpaid at the report date: late by then
            recs.append({"a": {"const": _iso(b.end)}, "b": i.schedule_ref})
    b.ledger("repayment_late_share", "share_gt", recs)
    assert set(b.out) == set(NAMES), set(NAMES) ^ set(b.out)
    return b.out
