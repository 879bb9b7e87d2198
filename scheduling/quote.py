"""Use 1 — quote: up to three distinct alternatives for one job (cheapest, fastest, balanced).

Operations may land at different sites (the "virtual factory"); each is priced by its
window's pricing mode, plus transport on every precedence edge between two sites (a
chain's consecutive operations, or a bill of materials' components into assemblies).  Alternatives with
identical assignments collapse into the first one found.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from .candidates import CandidateOptions, all_candidates, keeping, prune
from .data import Problem
from .greedy import edd_dispatch
from .objective import Weights
from .params import SolverParams
from .result import Assignment, Solution
from .siteplan import site_plan
from .solve import solve
from .status import Status


@dataclass(frozen=True)
class Alternative:
    label: str  # "cheapest" | "fastest" | "balanced"
    status: Status
    assignments: tuple[Assignment, ...]
    price: int
    transport: int
    completion: int
    lateness: int

    @property
    def total_cost(self) -> int:
        return self.price + self.transport

    @property
    def sites(self) -> tuple[str, ...]:
        """Sites in operation order, consecutive duplicates merged."""
        out: list[str] = []
        for a in self.assignments:
            if not out or out[-1] != a.site_id:
                out.append(a.site_id)
        return tuple(out)

    @property
    def signature(self) -> tuple:
        return tuple((a.op_index, a.machine_id, a.first_window, a.last_window, a.start) for a in self.assignments)


# A large order (a bill of materials of tens of operations over a hundred factories has
# ~20,000 candidates and a CP-SAT model that does not even finish presolve in seconds): above
# LARGE_MODEL candidates in all, each operation keeps its cheapest and earliest
# LARGE_PER_OPERATION plus whatever the greedy dispatchers chose (so their solution, the hint,
# stays feasible), and CP-SAT improves on them in that neighbourhood.
LARGE_MODEL = 4_000
LARGE_PER_OPERATION = 24
LARGE_AT_PLANNED_SITE = 6
WRAP_UP_S = 0.1  # kept back from the budget for reading the last solution and packing the offers
# the least share worth starting a CP-SAT solve with (building the model, then the solver's
# own 0.5 s floor in solve()); with less, the greedy hint is the answer
MIN_SOLVE_S = 1.0


def quote(problem: Problem, job_id: str, *, params: SolverParams = SolverParams(time_limit_s=5.0),
          quality_weight: int = 0, tardiness_weight: int = 0,
          candidate_options: CandidateOptions = CandidateOptions(windows_per_machine=20)) -> list[Alternative]:
    """Up to 3 distinct alternatives for ``job_id``; [] when the job cannot be placed at all.

    ``problem`` carries the *open* capacity: already-booked work must be in
    ``problem.busy`` or cut out of the windows.  Other jobs in ``problem`` are ignored.
    ``quality_weight`` (minor units per permille of site quality) and ``tardiness_weight``
    (minor units per minute late, soft due dates) bias the cheapest and balanced offers.
    ``params.time_limit_s`` bounds the whole quote (its three solves share it: half of what
    is left for the cheapest, half of the rest for the fastest, the rest for the balanced
    one); an alternative CP-SAT finds nothing for in its share is its greedy hint.
    """
    started = time.perf_counter()
    budget = params.time_limit_s - WRAP_UP_S
    job = problem.job(job_id)
    scope = {job_id}
    cands = all_candidates(problem, candidate_options, scope)
    if any(not cs for cs in cands.values()):
        return []
    plan = site_plan(problem, job, cands)
    planned = edd_dispatch(problem, rule="cheapest", job_ids=scope, candidate_options=candidate_options,
                           site_plan=plan)
    hints = {rule: edd_dispatch(problem, rule=rule, job_ids=scope, candidate_options=candidate_options)
             for rule in ("cheapest", "earliest_finish")}
    hints = {rule: h if h.assignments else None for rule, h in hints.items()}
    if planned.assignments and (hints["cheapest"] is None or planned.cost.total < hints["cheapest"].cost.total):
        hints["cheapest"] = planned  # following the site plan ships less
    options = candidate_options
    if sum(len(cs) for cs in cands.values()) > LARGE_MODEL:
        options = keeping(replace(candidate_options, max_candidates=LARGE_PER_OPERATION),
                          [h for h in (*hints.values(), planned) if h is not None and h.assignments])
        keep = {key: set(spans) for key, spans in options.keep.items()}
        for key, site in plan.items():  # and the cheapest few at each operation's planned site
            there = sorted((c for c in cands[key] if c.site_id == site), key=lambda c: (c.price, c.lo))
            keep.setdefault(key, set()).update((c.machine_id, c.first, c.last) for c in there[:LARGE_AT_PLANNED_SITE])
        options = replace(options, keep={key: tuple(sorted(spans)) for key, spans in keep.items()})
        cands = prune(problem, cands, options)
    max_cost = sum(max(c.price for c in cs) for cs in cands.values())
    sites = sorted({c.site_id for cs in cands.values() for c in cs})
    max_cost += len(job.edges) * max((problem.leg(a, b).cost for a in sites for b in sites), default=0)

    def run(weights: Weights, rule: str, share: float) -> Solution:
        hint = hints[rule]
        t0 = time.perf_counter()
        left = max(0.0, budget - (t0 - started))
        if hint is not None and left * share < MIN_SOLVE_S:
            return replace(hint, status=Status.FEASIBLE)  # no time left for CP-SAT: the dispatcher's plan
        sol = solve(problem, weights=weights, params=params, job_ids=scope, candidate_options=options,
                    hint=hint, started=t0, wall_budget_s=left * share, candidates=cands)
        if sol.status is Status.UNKNOWN and hint is not None:
            return replace(hint, status=Status.FEASIBLE)  # the dispatcher's plan is feasible: offer it
        return sol

    cheapest = run(Weights(price=1, transport=1, quality=quality_weight, tardiness=tardiness_weight), "cheapest", 0.5)
    if not cheapest.status.has_solution:
        return []
    fastest = run(Weights(price=1, transport=1, completion=max_cost + 1), "earliest_finish", 0.5)
    found = [("cheapest", cheapest)]
    if fastest.status.has_solution:
        found.append(("fastest", fastest))
        cheap_cost = max(1, cheapest.cost.total)
        fast_span = max(1, fastest.jobs[0].completion - job.release)
        balanced = run(Weights(price=fast_span, transport=fast_span, completion=cheap_cost,
                               quality=quality_weight * fast_span, tardiness=tardiness_weight * fast_span),
                       "earliest_finish", 1.0)
        if balanced.status.has_solution:
            found.append(("balanced", balanced))
    alternatives: list[Alternative] = []
    seen = set()
    for label, sol in found:
        outcome = sol.job(job_id)
        alt = Alternative(label, sol.status, sol.assignments, sol.cost.price, sol.cost.transport,
                          outcome.completion, outcome.lateness)
        if alt.signature in seen:
            continue
        seen.add(alt.signature)
        alternatives.append(alt)
    return alternatives
