"""Credit line and indicative rate band: pure arithmetic over verified figures.

Limit = (25% of annualised verified platform revenue + 80% of open receivables of accepted
orders) × a grade factor, minus the exposure lenders already carry on the factory (credit.exposure: assigned
receivables, leases, other financing not yet repaid), never below 0. Rate band = base rate + expected loss (PD × LGD) + a margin,
120 bp wide, capped at 4 × the base rate (the ceiling Chinese courts protect); a grade
whose band would pass the cap gets no offer.
"""
from __future__ import annotations

from dataclasses import dataclass

GRADE_FACTOR = {"AAA": 100, "AA": 95, "A": 90, "BBB": 80, "BB": 60, "B": 40, "CCC": 20, "CC": 10, "C": 0}
LGD_PERCENT = 45
MARGIN_BP = 80
BAND_BP = 120


@dataclass(frozen=True)
class CreditLine:
    currency: str
    revenue_180d_minor: int
    receivables_minor: int
    limit_minor: int
    rate_low_bp: int | None
    rate_high_bp: int | None
    exposure_minor: int = 0

    @property
    def offered(self) -> bool:
        return self.limit_minor > 0 and self.rate_low_bp is not None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def credit_line(*, grade: str, pd: float, revenue_180d_minor: int, receivables_minor: int, currency: str,
                base_rate_bp: int, exposure_minor: int = 0) -> CreditLine:
    annual = revenue_180d_minor * 2
    base = annual * 25 // 100 + receivables_minor * 80 // 100
    limit = max(0, base * GRADE_FACTOR[grade] // 100 - exposure_minor)
    low = base_rate_bp + round(pd * LGD_PERCENT * 100) + MARGIN_BP
    high = low + BAND_BP
    cap = 4 * base_rate_bp
    if low > cap or limit == 0:
        return CreditLine(currency, revenue_180d_minor, receivables_minor, 0, None, None, exposure_minor)
    return CreditLine(currency, revenue_180d_minor, receivables_minor, limit, low, min(high, cap), exposure_minor)
