"""The UBI tariff: a pure function from a machine's measured usage to a premium per monthly
period, with one rating factor per measure (docs/insurance.md). No Flask, no database: the
rating inputs come in as plain numbers, so the tariff is tested (and re-run by anyone) alone.

    premium = round_half_even(sum_insured x BASE_BP[coverage] / 10000
                              x f_hours x f_load x f_downtime x f_mttr x f_maintenance)

Every factor is a clamped linear function of one measure, rounded to 4 decimals; the ones for
run hours, load, downtime share and MTTR never fall when their measure rises, the maintenance
factor never rises when more maintenance is recorded. A measure that is unknown (no data) rates
neutral (1.0000), so missing data never earns a discount and never costs a loading. Each
factor's bounds are what a measure can move the premium by, which the insured sees per period.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

COVERAGES = ("breakdown", "warranty")  # downtime loss of a breakdown; extended warranty (repair cost)
# base rate per monthly period, in basis points of the sum insured
BASE_BP = {"breakdown": 40, "warranty": 25}
FOUR = Decimal("0.0001")
ZERO, ONE = Decimal(0), Decimal(1)


@dataclass(frozen=True)
class Band:
    """factor = lo + (hi - lo) x clamp((measure - start) / (end - start), 0, 1); `lo` at or below
    `start`, `hi` at or above `end`. hi < lo makes a discount that grows with the measure."""

    name: str
    start: Decimal
    end: Decimal
    lo: Decimal
    hi: Decimal

    def __post_init__(self):
        if not self.end > self.start:
            raise ValueError(f"band {self.name}: end {self.end} must exceed start {self.start}")

    def factor(self, measure: Decimal | None) -> Decimal:
        if measure is None:
            return ONE.quantize(FOUR)
        share = min(ONE, max(ZERO, (measure - self.start) / (self.end - self.start)))
        return (self.lo + (self.hi - self.lo) * share).quantize(FOUR, rounding=ROUND_HALF_EVEN)


# the documented tariff, in the order the factors are shown (docs/insurance.md has the same table)
BANDS = (
    Band("run_hours", Decimal(0), Decimal(720), Decimal("0.80"), Decimal("1.20")),  # run hours per 30 days
    Band("load", Decimal(40), Decimal(100), Decimal("0.90"), Decimal("1.20")),  # mean spindle load, %
    Band("downtime_share", Decimal(0), Decimal("0.25"), Decimal("1.00"), Decimal("2.00")),  # down / calendar
    Band("mttr_hours", Decimal(0), Decimal(10), Decimal("1.00"), Decimal("1.50")),  # mean time to repair
    Band("maintenance", Decimal(0), Decimal(4), Decimal("1.00"), Decimal("0.80")),  # maintenance records, 90 days
)
BAND = {b.name: b for b in BANDS}


@dataclass(frozen=True)
class RatingInputs:
    """The measures of a rating window (all optional: None is "no data").
    run_hours: running hours scaled to 30 days; load: mean spindle load in %; downtime_share:
    down seconds / calendar seconds of the reported days; mttr_hours: mean length of a down
    interval; maintenance: maintenance records in the window."""

    run_hours: Decimal | None = None
    load: Decimal | None = None
    downtime_share: Decimal | None = None
    mttr_hours: Decimal | None = None
    maintenance: Decimal | None = None

    def __post_init__(self):
        for name in BAND:
            value = getattr(self, name)
            if value is not None and (not isinstance(value, Decimal) or value < 0 or not value.is_finite()):
                raise ValueError(f"{name} is {value!r}; a measure is a finite Decimal >= 0 or None")


@dataclass(frozen=True)
class Factor:
    name: str
    measure: str | None  # the measure as rated (4 decimals), None when unknown
    factor: str  # 4 decimals


@dataclass(frozen=True)
class Quote:
    coverage: str
    base_minor: int
    factors: tuple[Factor, ...]
    multiplier: str  # product of the factors, 4 decimals
    premium_minor: int

    def as_dict(self) -> dict:
        """What a premium invoice commits to (strings and integers only)."""
        return {"coverage": self.coverage, "base_minor": self.base_minor, "multiplier": self.multiplier,
                "premium_minor": self.premium_minor,
                "factors": [{"name": f.name, "measure": f.measure, "factor": f.factor} for f in self.factors]}


def base_premium(coverage: str, sum_insured_minor: int) -> int:
    if coverage not in BASE_BP:
        raise ValueError(f"coverage {coverage!r} is not one of {COVERAGES}")
    if sum_insured_minor < 0:
        raise ValueError(f"sum insured {sum_insured_minor} is negative")
    return int((Decimal(sum_insured_minor) * BASE_BP[coverage] / 10000).quantize(ONE, rounding=ROUND_HALF_EVEN))


def rate(coverage: str, sum_insured_minor: int, inputs: RatingInputs) -> Quote:
    """The premium of one monthly period and the factors that make it (exact: Decimal only)."""
    base = base_premium(coverage, sum_insured_minor)
    factors, product = [], ONE
    for band in BANDS:
        measure = getattr(inputs, band.name)
        f = band.factor(measure)
        product *= f
        factors.append(Factor(band.name, None if measure is None else str(measure.quantize(FOUR, rounding=ROUND_HALF_EVEN)),
                              str(f)))
    premium = int((Decimal(base) * product).quantize(ONE, rounding=ROUND_HALF_EVEN))
    return Quote(coverage, base, tuple(factors), str(product.quantize(FOUR, rounding=ROUND_HALF_EVEN)), premium)


def moves(previous: dict | None, current: dict) -> list[dict]:
    """Per factor, how it changed since the previous period's committed quote: the insured's
    "why did my premium move". `previous`/`current`: Quote.as_dict() payloads."""
    before = {f["name"]: f for f in (previous or {}).get("factors", [])}
    out = []
    for f in current["factors"]:
        old = before.get(f["name"])
        delta = None if old is None else str((Decimal(f["factor"]) - Decimal(old["factor"])).quantize(FOUR))
        out.append({**f, "previous_measure": old and old["measure"], "previous_factor": old and old["factor"],
                    "delta": delta})
    return out


def indemnity(*, rate_minor_per_hour: int, deductible_hours: int, limit_minor: int, down_seconds: int) -> int:
    """A downtime claim's indemnity: rate x (down hours - deductible), at least 0, at most the
    limit, rounded half-even to a minor unit. The same formula is in ledger.evidence
    (`downtime_claim`), which the insurer re-runs on the claim's evidence."""
    from ledger.evidence import downtime_indemnity

    return downtime_indemnity(rate=rate_minor_per_hour, deductible_hours=deductible_hours, limit=limit_minor,
                              seconds=down_seconds)
