"""Build the model (data → variables → constraints → objective), solve, read the result."""

from __future__ import annotations

import time
from dataclasses import replace

from ortools.sat.python import cp_model

from .candidates import CandidateOptions, all_candidates
from .constraints import build_constraints
from .data import Problem
from .objective import Weights, build_objective
from .params import SolverParams
from .result import Assignment, Solution, summarize
from .status import from_cp_sat
from .variables import ModelData, Variables, build_variables


def model_data(problem: Problem, *, allow_unfilled: bool, job_ids=None,
               candidate_options: CandidateOptions = CandidateOptions(), candidates=None) -> ModelData:
    if candidates is None:
        candidates = all_candidates(problem, candidate_options, job_ids)
    jobs = [j for j in problem.jobs if job_ids is None or j.id in job_ids]
    horizon = max([problem.horizon] + [c.hi + c.size for cs in candidates.values() for c in cs])
    sites = sorted({c.site_id for cs in candidates.values() for c in cs})
    max_leg = max((problem.leg(a, b).cost for a in sites for b in sites if a < b), default=0)
    return ModelData(problem, jobs, candidates, allow_unfilled, horizon, max_leg)


def solve(problem: Problem, *, weights: Weights = Weights(), params: SolverParams = SolverParams(),
          allow_unfilled: bool = False, job_ids=None,
          candidate_options: CandidateOptions = CandidateOptions(), hint: Solution | None = None,
          started: float | None = None, wall_budget_s: float | None = None,
          must_fill: frozenset[str] = frozenset(), light_presolve: bool = False, candidates=None) -> Solution:
    """Solve one instance of the engine's model; infeasible and timeout are statuses.

    With ``wall_budget_s`` the CP-SAT limit shrinks so that everything since ``started``
    (a ``time.perf_counter()`` value; default: now) — greedy, model building, solving —
    fits in the budget.  ``must_fill`` jobs must be filled even when ``allow_unfilled``;
    ``light_presolve`` skips probing and symmetry detection (large neighbourhood solves).
    ``candidates``: already computed for exactly ``job_ids`` with ``candidate_options``
    (several solves over one job share them).
    """
    started = time.perf_counter() if started is None else started
    data = model_data(problem, allow_unfilled=allow_unfilled, job_ids=job_ids, candidate_options=candidate_options,
                      candidates=candidates)
    cp = cp_model.CpModel()
    v = build_variables(cp, data)
    for job_id in must_fill:
        if job_id in v.filled:
            cp.add(v.filled[job_id] == 1)
    build_constraints(cp, data, v)
    fill_weight = build_objective(cp, data, v, weights)
    if hint is not None:
        add_hint(cp, data, v, hint)
    solver = params.make_solver()
    if light_presolve:
        solver.parameters.cp_model_probing_level = 0
        solver.parameters.symmetry_level = 0
    if wall_budget_s is not None:
        left = wall_budget_s - (time.perf_counter() - started)
        solver.parameters.max_time_in_seconds = max(0.5, min(params.time_limit_s, left))
    status = from_cp_sat(solver.solve(cp))
    elapsed = time.perf_counter() - started
    if not status.has_solution:
        return Solution(status, jobs=(), solve_time_s=elapsed)
    assignments = read_assignments(solver, data, v)
    solution = summarize(problem, status, assignments, jobs=data.jobs, objective=int(solver.objective_value),
                         best_bound=int(solver.best_objective_bound), solve_time_s=elapsed)
    return replace(solution, fill_weight=fill_weight)


def read_assignments(solver: cp_model.CpSolver, data: ModelData, v: Variables) -> list[Assignment]:
    out = []
    jobs = {j.id: j for j in data.jobs}
    for (job_id, k), cands in data.candidates.items():
        for c, lit in zip(cands, v.present[(job_id, k)]):
            if solver.boolean_value(lit):
                start = solver.value(v.start[(job_id, k)])
                name = jobs[job_id].operations[k].name
                out.append(Assignment(job_id, k, c.machine_id, c.site_id, c.first, c.last, start, start + c.size,
                                      c.price, name))
                break
    return out


def add_hint(cp: cp_model.CpModel, data: ModelData, v: Variables, hint: Solution) -> None:
    """Hint the solver with a previous or greedy solution (ignored where it does not fit)."""
    by_key = {a.key: a for a in hint.assignments}
    filled = set()
    for job in data.jobs:
        keys = [(job.id, k) for k in range(len(job.operations))]
        if all(k in by_key for k in keys):
            filled.add(job.id)
    for job in data.jobs:
        if data.allow_unfilled:
            cp.add_hint(v.filled[job.id], job.id in filled)
        for k in range(len(job.operations)):
            key = (job.id, k)
            a = by_key.get(key) if job.id in filled else None
            for c, lit in zip(data.candidates[key], v.present[key]):
                cp.add_hint(lit, a is not None and (c.machine_id, c.first, c.last) == (a.machine_id, a.first_window, a.last_window))
            if a is not None:
                cp.add_hint(v.start[key], a.start)
                cp.add_hint(v.end[key], a.end)
            for site, lit in v.at_site[key].items():
                cp.add_hint(lit, a is not None and a.site_id == site)
        for p, k in job.edges:
            a, b = (by_key.get((job.id, p)), by_key.get((job.id, k))) if job.id in filled else (None, None)
            cost = data.problem.leg(a.site_id, b.site_id).cost if (a is not None and b is not None) else 0
            cp.add_hint(v.transport_cost[(job.id, p, k)], cost)
        completion = max(by_key[(job.id, k)].end for k in job.sinks) if job.id in filled else 0
        cp.add_hint(v.completion[job.id], completion)
        cp.add_hint(v.tardiness[job.id], max(0, completion - job.due) if job.id in filled else 0)
    ends = [by_key[(j.id, k)].end for j in data.jobs if j.id in filled for k in j.sinks]
    cp.add_hint(v.makespan, max(ends, default=0))
