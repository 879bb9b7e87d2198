"""OEE per ISO 22400-2 from summed figures. Pure.

availability = APT / PBT        (actual production time / planned busy time)
performance  = ideal cycle time x produced quantity / APT
quality      = good quantity / produced quantity
OEE          = availability x performance x quality

A ratio without a denominator is None (no planned time, no run time, no parts); a day
that was planned but produced nothing has OEE 0 rather than None.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figures:
    planned_s: int = 0
    run_s: int = 0
    total: int = 0
    good: int = 0
    ideal_work_ms: int | None = None  # ideal cycle time x parts, summed where known
    ideal_run_s: int = 0  # the run time of the machines whose ideal cycle is known

    def __add__(self, other: Figures) -> Figures:
        ideal = None if self.ideal_work_ms is None and other.ideal_work_ms is None else \
            (self.ideal_work_ms or 0) + (other.ideal_work_ms or 0)
        return Figures(self.planned_s + other.planned_s, self.run_s + other.run_s, self.total + other.total,
                       self.good + other.good, ideal, self.ideal_run_s + other.ideal_run_s)

    @property
    def availability(self) -> float | None:
        return self.run_s / self.planned_s if self.planned_s > 0 else None

    @property
    def performance(self) -> float | None:
        if self.ideal_work_ms is None or self.ideal_run_s <= 0:
            return None
        return self.ideal_work_ms / 1000 / self.ideal_run_s

    @property
    def quality(self) -> float | None:
        return self.good / self.total if self.total > 0 else None

    @property
    def oee(self) -> float | None:
        a, p, q = self.availability, self.performance, self.quality
        if a == 0 or p == 0:
            return 0.0
        if a is None or p is None or q is None:
            return None
        return a * p * q

    def ratios(self) -> dict:
        return {"availability": self.availability, "performance": self.performance,
                "quality": self.quality, "oee": self.oee}
