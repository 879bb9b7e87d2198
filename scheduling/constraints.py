"""The rules of the model, one small function each, listed in :data:`RULES`."""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from .variables import ModelData, Variables


def one_candidate_per_operation(cp: cp_model.CpModel, data: ModelData, v: Variables) -> None:
    """Exactly one candidate per operation of a filled job, none for an unfilled job."""
    for key, lits in v.present.items():
        cp.add(sum(lits) == v.filled[key[0]])


def start_within_candidate_range(cp, data, v) -> None:
    """The chosen candidate's window span bounds the start (and so the end)."""
    for key, cands in data.candidates.items():
        for c, lit in zip(cands, v.present[key]):
            cp.add_linear_constraint(v.start[key], c.lo, c.hi).only_enforce_if(lit)
            cp.add(v.end[key] == v.start[key] + c.size).only_enforce_if(lit)


def site_of_operation(cp, data, v) -> None:
    """at_site[s] is true iff the chosen candidate is at site s."""
    for key, cands in data.candidates.items():
        by_site = defaultdict(list)
        for c, lit in zip(cands, v.present[key]):
            by_site[c.site_id].append(lit)
        for site, lit in v.at_site[key].items():
            cp.add(lit == sum(by_site[site]))


def no_overlap_per_machine(cp, data, v) -> None:
    """One operation at a time per machine, also against already-booked (busy) work."""
    per_machine = defaultdict(list)
    for key, cands in data.candidates.items():
        for c, iv in zip(cands, v.intervals[key]):
            per_machine[c.machine_id].append(iv)
    for b in data.problem.busy:
        if b.machine_id in per_machine:
            per_machine[b.machine_id].append(cp.new_interval_var(b.start, b.end - b.start, b.end, f"busy[{b.machine_id}]"))
    for intervals in per_machine.values():
        if len(intervals) > 1:
            cp.add_no_overlap(intervals)


def precedence_with_transport(cp, data, v) -> None:
    """On every precedence edge p → k (the chain k−1 → k, or a BOM's edges), operation k
    starts after p ends plus the transport lag between their sites, and pays that leg."""
    problem = data.problem
    for job in data.jobs:
        filled = v.filled[job.id]
        for p, k in job.edges:
            a, b = (job.id, p), (job.id, k)
            edge = (job.id, p, k)
            cp.add(v.start[b] >= v.end[a]).only_enforce_if(filled)
            for sa, la in v.at_site[a].items():
                for sb, lb in v.at_site[b].items():
                    if sa == sb:
                        continue
                    leg = problem.leg(sa, sb)
                    if leg.minutes:
                        cp.add(v.start[b] >= v.end[a] + leg.minutes).only_enforce_if([la, lb])
                    if leg.cost:
                        cp.add(v.transport_cost[edge] >= leg.cost).only_enforce_if([la, lb])


def completion_and_due_date(cp, data, v) -> None:
    """Completion = end of the sink operation (the last of several sinks: a BOM may end in
    parallel branches); tardiness ≥ completion − due; hard due dates hold."""
    for job in data.jobs:
        filled = v.filled[job.id]
        if len(job.sinks) == 1:
            cp.add(v.completion[job.id] == v.end[(job.id, job.sinks[0])]).only_enforce_if(filled)
        else:
            # ≥ every sink's end; whatever weighs completion (or tardiness, or the hard due
            # date) pulls it down onto the latest one
            for k in job.sinks:
                cp.add(v.completion[job.id] >= v.end[(job.id, k)]).only_enforce_if(filled)
        cp.add(v.tardiness[job.id] >= v.completion[job.id] - job.due).only_enforce_if(filled)
        if job.hard_due:
            cp.add(v.completion[job.id] <= job.due).only_enforce_if(filled)


def makespan_definition(cp, data, v) -> None:
    """Makespan ≥ every filled job's completion."""
    for job in data.jobs:
        cp.add(v.makespan >= v.completion[job.id]).only_enforce_if(v.filled[job.id])


RULES = (
    one_candidate_per_operation,
    start_within_candidate_range,
    site_of_operation,
    no_overlap_per_machine,
    precedence_with_transport,
    completion_and_due_date,
    makespan_definition,
)


def build_constraints(cp: cp_model.CpModel, data: ModelData, v: Variables) -> None:
    for rule in RULES:
        rule(cp, data, v)
