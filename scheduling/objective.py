"""Objective weights and the objective expression.

Minimise  price·Σ price  + transport·Σ transport  + tardiness·Σ weight_j·T_j
        + completion·Σ C_j + makespan·C_max − quality·Σ quality‰(chosen site)
        − fill·(number of filled jobs).
All weights are non-negative integers.  ``fill=None`` with unfilled jobs allowed means
"dominating": larger than any achievable saving, i.e. filled jobs first (lexicographic).
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model


@dataclass(frozen=True)
class Weights:
    price: int = 1
    transport: int = 1
    tardiness: int = 0
    completion: int = 0
    makespan: int = 0
    quality: int = 0
    fill: int | None = None

    def __post_init__(self) -> None:
        for name in ("price", "transport", "tardiness", "completion", "makespan", "quality"):
            if getattr(self, name) < 0:
                raise ValueError(f"weight {name} must be >= 0, got {getattr(self, name)}")
        if self.fill is not None and self.fill < 0:
            raise ValueError(f"weight fill must be >= 0, got {self.fill}")


def build_objective(cp: cp_model.CpModel, data, v, weights: Weights) -> int | None:
    """Set the objective; returns the fill weight used (None when every job must be filled)."""
    terms = []
    per_job_max = {}
    for key, cands in data.candidates.items():
        lits = v.present[key]
        if weights.price or weights.quality:
            terms.append(sum((weights.price * c.price - weights.quality * c.quality) * lit for c, lit in zip(cands, lits)))
        per_job_max[key[0]] = per_job_max.get(key[0], 0) + weights.price * max((c.price for c in cands), default=0)
    if weights.transport:
        for key, var in v.transport_cost.items():
            terms.append(weights.transport * var)
            per_job_max[key[0]] = per_job_max.get(key[0], 0) + weights.transport * data.max_leg_cost
    if weights.tardiness:
        for job in data.jobs:
            if job.weight:
                terms.append(weights.tardiness * job.weight * v.tardiness[job.id])
                per_job_max[job.id] = per_job_max.get(job.id, 0) + weights.tardiness * job.weight * data.horizon
    if weights.completion:
        terms.extend(weights.completion * v.completion[job.id] for job in data.jobs)
    if weights.makespan:
        terms.append(weights.makespan * v.makespan)
    if data.allow_unfilled:
        fill = weights.fill
        if fill is None:
            fill = 1 + sum(per_job_max.values()) + weights.quality * 1000 * len(data.candidates) \
                + weights.completion * data.horizon * len(data.jobs) + weights.makespan * data.horizon
        terms.extend(-fill * v.filled[job.id] for job in data.jobs)
    else:
        fill = None
    cp.minimize(sum(terms) if terms else 0)
    return fill
