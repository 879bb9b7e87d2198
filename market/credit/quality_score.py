"""The supplier quality score: the one home of the rule that turns a factory's public
scorecard (on-time, QC pass, disputes, tenure) and its buyers' star ratings into one number
in [0, 1]. Catalog search ranks by it and the solver's quality term (scheduling.Site.quality)
uses it; both read the stored value (market/catalog/quality.py), which credit keeps fresh
(market/credit/quality.py).

Pure: no Flask, no database. Every rate is a Bayesian average: the observed counts plus a
prior worth PRIOR_WEIGHT observations of the platform-wide expectation, so a newcomer starts
at the prior and one bad (or good) job moves it a little, ten move it a lot.
"""
from __future__ import annotations

from dataclasses import dataclass

# (prior mean, weight in observations) of each part; means are what a typical supplier earns
PRIOR_STARS = 3.5  # out of 5: a newcomer is neither praised nor blamed
PRIOR_ON_TIME = 0.8
PRIOR_QC_PASS = 0.9
PRIOR_UNDISPUTED = 0.9  # share of delivered jobs without a dispute
PRIOR_WEIGHT = 5
TENURE_FULL_MONTHS = 24  # tenure stops adding after two years

# how much each part counts; they add up to 1. Buyers' own words weigh most, tenure least
# (a long presence is only a weak signal next to what buyers saw).
WEIGHTS = {"stars": 0.35, "on_time": 0.25, "qc_pass": 0.20, "undisputed": 0.15, "tenure": 0.05}


@dataclass(frozen=True)
class Evidence:
    """Counts behind a score (all of them public on the factory's profile)."""

    deliveries: int = 0
    on_time: int = 0
    qc_checks: int = 0
    qc_passed: int = 0
    disputes: int = 0
    tenure_months: int = 0
    ratings: int = 0
    stars_total: int = 0  # the sum of the ratings' stars (1..5 each)

    def __post_init__(self) -> None:
        for name in ("deliveries", "on_time", "qc_checks", "qc_passed", "disputes", "tenure_months", "ratings",
                     "stars_total"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} {getattr(self, name)} must not be negative")
        if self.on_time > self.deliveries:
            raise ValueError(f"on_time {self.on_time} exceeds deliveries {self.deliveries}")
        if self.qc_passed > self.qc_checks:
            raise ValueError(f"qc_passed {self.qc_passed} exceeds qc_checks {self.qc_checks}")
        if not self.ratings <= self.stars_total <= 5 * self.ratings:
            raise ValueError(f"stars_total {self.stars_total} is not within 1..5 stars for {self.ratings} rating(s)")


def bayesian(successes: float, trials: int, prior: float, weight: int = PRIOR_WEIGHT) -> float:
    """(successes + prior·weight) / (trials + weight): the prior when there is no trial yet."""
    return (successes + prior * weight) / (trials + weight)


def average_stars(e: Evidence) -> float:
    """The smoothed star average (1..5) shown next to the raw one."""
    return bayesian(e.stars_total, e.ratings, PRIOR_STARS)


def parts(e: Evidence) -> dict[str, float]:
    """Each part of the score in [0, 1], by the names of WEIGHTS."""
    # a dispute is counted against a delivered job; more disputes than deliveries counts as none undisputed
    undisputed = max(e.deliveries - e.disputes, 0)
    return {
        "stars": (average_stars(e) - 1) / 4,
        "on_time": bayesian(e.on_time, e.deliveries, PRIOR_ON_TIME),
        "qc_pass": bayesian(e.qc_passed, e.qc_checks, PRIOR_QC_PASS),
        "undisputed": bayesian(undisputed, max(e.deliveries, e.disputes), PRIOR_UNDISPUTED),
        "tenure": min(e.tenure_months, TENURE_FULL_MONTHS) / TENURE_FULL_MONTHS,
    }


def score(e: Evidence) -> float:
    """The supplier quality in [0, 1]."""
    p = parts(e)
    return min(max(sum(WEIGHTS[k] * p[k] for k in WEIGHTS), 0.0), 1.0)


def permille(e: Evidence) -> int:
    """The score as stored and as the solver takes it (integer permille)."""
    return round(score(e) * 1000)
