"""Where each operation of a job had best run, time and capacity ignored: the site plan.

Over many factories the cost of an order is as much transport as machine time (two
industrial regions 1,300 km apart make one shipment cost more than a day of milling), and
a dispatcher that picks the cheapest machine one operation at a time ships the parts back
and forth. The plan is a dynamic programme over the precedence graph in topological order:

    cost[k][s] = cheapest price of operation k at site s
               + Σ over predecessors p of min over sites r (cost[p][r] + leg(r, s).cost)

then read back from the sinks. On a bill of materials whose operations feed one successor
each (an in-tree, and every chain) it is the exact cheapest price + transport with time
ignored; an operation feeding several successors is counted once per successor (a heuristic).
"""

from __future__ import annotations

from typing import Mapping

from .candidates import Candidate, OpKey
from .data import Job, Problem


def site_plan(problem: Problem, job: Job, candidates: Mapping[OpKey, list[Candidate]]) -> dict[OpKey, str]:
    """Operation key -> site; operations without candidates are left out (and so is the job)."""
    price: list[dict[str, int]] = []
    for k in range(len(job.operations)):
        best: dict[str, int] = {}
        for c in candidates.get((job.id, k), ()):
            if c.price < best.get(c.site_id, 1 << 62):
                best[c.site_id] = c.price
        if not best:
            return {}
        price.append(best)
    cost: list[dict[str, int]] = [{} for _ in job.operations]
    came: list[dict[str, dict[int, str]]] = [{} for _ in job.operations]  # k -> site -> pred -> pred site
    for k in job.order:
        for s, p in price[k].items():
            total, via = p, {}
            for q in job.predecessors(k):
                r, c = min(((r, c + problem.leg(r, s).cost) for r, c in cost[q].items()), key=lambda x: (x[1], x[0]))
                total += c
                via[q] = r
            cost[k][s], came[k][s] = total, via
    plan: dict[int, str] = {}
    for k in reversed(job.order):  # successors are placed before their predecessors here
        if k not in plan:
            plan[k] = min(cost[k], key=lambda s: (cost[k][s], s))
        for q, r in came[k][plan[k]].items():
            plan.setdefault(q, r)
    return {(job.id, k): s for k, s in plan.items()}
