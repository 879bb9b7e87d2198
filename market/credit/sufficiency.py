"""Is there enough evidence to grade a factory? Pure: facts and features in, a verdict out.

The scorecard scores a missing feature in its own bin (the average applicant's points), so
a factory with no data at all would come out near the middle of the scale (BBB). A grade
needs evidence, so below these minimums (documented in docs/credit.md) a report gives no
grade, and with only one of the two kinds of evidence (machines, deliveries) the grade is
capped:

- history: days since the earliest ledger record of the factory (an accepted quote, a
  delivery, or a daily OEE summary) — under `history_days` nothing is graded;
- machine evidence: OEE days (planned, closed, committed) in the 90-day window;
- trade evidence: delivered orders (with the promise on the ledger) in the 180-day window.

Not rated: too short a history, or neither machine nor trade evidence reaches its minimum.
Capped at `cap` (grade no better, PD no lower than that grade's floor): one of the two short.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timezone

from market.credit.scorecard import GRADES

RATED, CAPPED, INSUFFICIENT = "rated", "capped", "insufficient_data"


@dataclass(frozen=True)
class Minimum:
    history_days: int = 30
    oee_days: int = 20
    deliveries: int = 3
    cap: str = "BBB"

    def __post_init__(self):
        if self.cap not in dict(GRADES):
            raise ValueError(f"cap {self.cap!r} is not a grade ({', '.join(g for g, _ in GRADES)})")

    @property
    def pd_floor(self) -> float:
        """The lowest PD of the cap grade (its upper bound is the one above's)."""
        names = [g for g, _ in GRADES]
        i = names.index(self.cap)
        return GRADES[i - 1][1] if i else 0.0


# code -> (en, zh-CN); %(have)d and %(need)d are filled in
TEXTS = {
    "history": ("Less than %(need)d days of history on the platform (%(have)d days)",
                "平台经营记录不足%(need)d天（现有%(have)d天）"),
    "oee_days": ("Fewer than %(need)d days of machine data (OEE) in the last 90 days (%(have)d days)",
                 "近90天设备数据（OEE）不足%(need)d天（现有%(have)d天）"),
    "deliveries": ("Fewer than %(need)d delivered orders in the last 180 days (%(have)d)",
                   "近180天交付订单不足%(need)d笔（现有%(have)d笔）"),
}


@dataclass(frozen=True)
class Shortfall:
    code: str  # history | oee_days | deliveries
    have: int
    need: int

    def text(self, locale: str) -> str:
        en, zh = TEXTS[self.code]
        return (zh if locale.startswith("zh") else en) % {"have": self.have, "need": self.need}

    def to_dict(self) -> dict:
        return {"code": self.code, "have": self.have, "need": self.need}


@dataclass(frozen=True)
class Verdict:
    status: str  # rated | capped | insufficient_data
    shortfalls: tuple[Shortfall, ...]
    history_days: int
    oee_days: int
    deliveries: int

    def to_dict(self) -> dict:
        return {"status": self.status, "history_days": self.history_days, "oee_days": self.oee_days,
                "deliveries": self.deliveries, "shortfalls": [s.to_dict() for s in self.shortfalls]}


def _records(features: dict, name: str) -> int:
    f = features.get(name)
    return len(f.evidence["records"]) if f is not None and f.evidence else 0


def history_days(facts) -> int:
    """Whole days from the earliest ledger record of the factory to the report date."""
    firsts = [datetime.combine(d.day, time(0), tzinfo=timezone.utc) for d in facts.oee_days if d.ledger_index is not None]
    if facts.first_event is not None:
        firsts.append(facts.first_event.at)
    return max((facts.as_of - min(firsts)).days, 0) if firsts else 0


def assess(facts, features: dict, minimum: Minimum = Minimum()) -> Verdict:
    """The verdict on `facts` (market.credit.features.Facts) and their computed features."""
    history, oee, deliveries = history_days(facts), _records(features, "oee_mean_90d"), _records(features, "on_time_rate_180d")
    short = []
    if history < minimum.history_days:
        short.append(Shortfall("history", history, minimum.history_days))
    if oee < minimum.oee_days:
        short.append(Shortfall("oee_days", oee, minimum.oee_days))
    if deliveries < minimum.deliveries:
        short.append(Shortfall("deliveries", deliveries, minimum.deliveries))
    codes = {s.code for s in short}
    if "history" in codes or {"oee_days", "deliveries"} <= codes:
        status = INSUFFICIENT
    elif codes:
        status = CAPPED
    else:
        status = RATED
    return Verdict(status, tuple(short), history, oee, deliveries)


def capped_grade(grade: str, cap: str) -> str:
    """`grade`, or `cap` when `grade` is better than it."""
    rank = {g: i for i, (g, _) in enumerate(GRADES)}
    return cap if rank[grade] < rank[cap] else grade
