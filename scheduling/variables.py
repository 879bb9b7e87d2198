"""CP-SAT variables: one optional interval per candidate, op start/end, job outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from .candidates import Candidate, OpKey
from .data import Job, Problem


@dataclass
class ModelData:
    """Everything the model is built from (already filtered to the jobs in scope)."""

    problem: Problem
    jobs: list[Job]
    candidates: dict[OpKey, list[Candidate]]
    allow_unfilled: bool
    horizon: int
    max_leg_cost: int = 0


@dataclass
class Variables:
    start: dict[OpKey, cp_model.IntVar] = field(default_factory=dict)
    end: dict[OpKey, cp_model.IntVar] = field(default_factory=dict)
    present: dict[OpKey, list[cp_model.IntVar]] = field(default_factory=dict)
    intervals: dict[OpKey, list[cp_model.IntervalVar]] = field(default_factory=dict)
    at_site: dict[OpKey, dict[str, cp_model.IntVar]] = field(default_factory=dict)
    # the shipment on each precedence edge (job id, predecessor, successor)
    transport_cost: dict[tuple[str, int, int], cp_model.IntVar] = field(default_factory=dict)
    filled: dict[str, cp_model.IntVar] = field(default_factory=dict)
    completion: dict[str, cp_model.IntVar] = field(default_factory=dict)
    tardiness: dict[str, cp_model.IntVar] = field(default_factory=dict)
    makespan: cp_model.IntVar | None = None


def build_variables(cp: cp_model.CpModel, data: ModelData) -> Variables:
    v = Variables()
    h = data.horizon
    for job in data.jobs:
        if data.allow_unfilled:
            v.filled[job.id] = cp.new_bool_var(f"filled[{job.id}]")
        else:
            v.filled[job.id] = cp.new_constant(1)
        for k in range(len(job.operations)):
            key = (job.id, k)
            cands = data.candidates[key]
            lo = min((c.lo for c in cands), default=0)
            hi = max((c.hi for c in cands), default=0)
            start = cp.new_int_var(lo, hi, f"start{key}")
            end = cp.new_int_var(lo, h, f"end{key}")
            v.start[key], v.end[key] = start, end
            lits, ivs = [], []
            for i, c in enumerate(cands):
                lit = cp.new_bool_var(f"use{key}#{i}")
                lits.append(lit)
                ivs.append(cp.new_optional_fixed_size_interval_var(start, c.size, lit, f"iv{key}#{i}"))
            v.present[key], v.intervals[key] = lits, ivs
            sites = sorted({c.site_id for c in cands})
            v.at_site[key] = {s: cp.new_bool_var(f"site{key}={s}") for s in sites}
        for a, b in job.edges:
            v.transport_cost[(job.id, a, b)] = cp.new_int_var(0, data.max_leg_cost, f"transport[{job.id}:{a}->{b}]")
        v.completion[job.id] = cp.new_int_var(0, h, f"completion[{job.id}]")
        v.tardiness[job.id] = cp.new_int_var(0, max(0, h - job.due), f"tardiness[{job.id}]")
    v.makespan = cp.new_int_var(0, h, "makespan")
    return v
