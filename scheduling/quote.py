"""Use 1 — quote: up to three distinct alternatives for one job (cheapest, fastest, balanced).

Operations may land at different sites (the "virtual factory"); each is priced by its
window's pricing mode, plus transport on every precedence edge between two sites (a
chain's consecutive operations, or a bill of materials' components into assemblies).  Alternatives with
identical assignments collapse into the first one found.
"""

from __future__ import annotations

from dataclasses import dataclass

from .candidates import CandidateOptions, all_candidates
from .data import Problem
from .greedy import edd_dispatch
from .objective import Weights
from .params import SolverParams
from .result import Assignment, Solution
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


def quote(problem: Problem, job_id: str, *, params: SolverParams = SolverParams(time_limit_s=5.0),
          quality_weight: int = 0, tardiness_weight: int = 0,
          candidate_options: CandidateOptions = CandidateOptions(windows_per_machine=20)) -> list[Alternative]:
    """Up to 3 distinct alternatives for ``job_id``; [] when the job cannot be placed at all.

    ``problem`` carries the *open* capacity: already-booked work must be in
    ``problem.busy`` or cut out of the windows.  Other jobs in ``problem`` are ignored.
    ``quality_weight`` (minor units per permille of site quality) and ``tardiness_weight``
    (minor units per minute late, soft due dates) bias the cheapest and balanced offers.
    """
    job = problem.job(job_id)
    scope = {job_id}
    cands = all_candidates(problem, candidate_options, scope)
    if any(not cs for cs in cands.values()):
        return []
    max_cost = sum(max(c.price for c in cs) for cs in cands.values())
    sites = sorted({c.site_id for cs in cands.values() for c in cs})
    max_cost += len(job.edges) * max((problem.leg(a, b).cost for a in sites for b in sites), default=0)

    def run(weights: Weights, rule: str) -> Solution:
        hint = edd_dispatch(problem, rule=rule, job_ids=scope, candidate_options=candidate_options)
        return solve(problem, weights=weights, params=params, job_ids=scope,
                     candidate_options=candidate_options, hint=hint if hint.assignments else None)

    cheapest = run(Weights(price=1, transport=1, quality=quality_weight, tardiness=tardiness_weight), "cheapest")
    if not cheapest.status.has_solution:
        return []
    fastest = run(Weights(price=1, transport=1, completion=max_cost + 1), "earliest_finish")
    found = [("cheapest", cheapest)]
    if fastest.status.has_solution:
        found.append(("fastest", fastest))
        cheap_cost = max(1, cheapest.cost.total)
        fast_span = max(1, fastest.jobs[0].completion - job.release)
        balanced = run(Weights(price=fast_span, transport=fast_span, completion=cheap_cost,
                               quality=quality_weight * fast_span, tardiness=tardiness_weight * fast_span),
                       "earliest_finish")
        if balanced.status.has_solution:
            found.append(("balanced", balanced))
    alternatives: list[Alternative] = []
    seen = set()
    for label, sol in found:
        outcome = sol.jobs[0]
        alt = Alternative(label, sol.status, sol.assignments, sol.cost.price, sol.cost.transport,
                          outcome.completion, outcome.lateness)
        if alt.signature in seen:
            continue
        seen.add(alt.signature)
        alternatives.append(alt)
    return alternatives
