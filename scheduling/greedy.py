"""Greedy earliest-due-date dispatcher: the baseline, and the hint for CP-SAT.

Jobs in order of (due, release, id); each operation in topological order (a chain in
sequence; a BOM's components before the assemblies they merge into) goes to the candidate
(machine, window span) that finishes earliest (``rule="earliest_finish"``, the baseline),
costs least including transport from every predecessor (``rule="cheapest"``), or costs least among those that
leave the job on time (``rule="cheapest_on_time"``), at the earliest start that overlaps
nothing already booked.  A job whose operations cannot all be placed stays unfilled.
"""

from __future__ import annotations

import bisect
import time
from collections import defaultdict

from typing import Mapping

from .candidates import CandidateOptions, OpKey, span_candidate
from .data import Problem
from .result import Assignment, Solution, summarize
from .status import Status
from .timeline import Timeline


RULES = ("earliest_finish", "cheapest", "cheapest_on_time")


def edd_dispatch(problem: Problem, *, rule: str = "earliest_finish", job_ids=None, allow_unfilled: bool = False,
                 candidate_options: CandidateOptions = CandidateOptions(windows_per_machine=None),
                 slack_per_op: int = 240, site_plan: Mapping[OpKey, str] | None = None) -> Solution:
    """Greedy EDD matching.  ``cheapest_on_time`` keeps, for each operation, the time for
    the remaining operations plus ``slack_per_op`` minutes each (transport) before the due date.
    With a ``site_plan`` (scheduling.siteplan) an operation goes to its planned site when
    any machine there can take it, else wherever the rule says."""
    if rule not in RULES:
        raise ValueError(f"rule must be one of {', '.join(RULES)}, got {rule!r}")
    started = time.perf_counter()
    opts = candidate_options
    timelines: dict[str, Timeline] = defaultdict(Timeline)
    for b in problem.busy:
        timelines[b.machine_id].book(b.start, b.end)
    by_process = defaultdict(list)
    for m in problem.machines:
        for p in m.capabilities:
            by_process[p].append(m)
    jobs = [j for j in problem.jobs if job_ids is None or j.id in job_ids]
    assignments: list[Assignment] = []
    # frozen work first, exactly where it is
    frozen_jobs = {key[0] for key in opts.frozen}
    for job in jobs:
        for k, op in enumerate(job.operations):
            f = opts.frozen.get((job.id, k))
            if f is not None:
                c = span_candidate(problem, problem.machine(f.machine_id), f.first, f.last, job, op, f.start, 10**12)
                timelines[f.machine_id].book(f.start, f.start + c.size)
    scan = opts.windows_per_machine or 10**9
    for job in sorted(jobs, key=lambda j: (j.id not in frozen_jobs, j.due, j.release, j.id)):
        durations = job.durations
        placed: dict[int, Assignment] = {}
        for k in job.order:  # topological: every predecessor is placed before its successor
            op = job.operations[k]
            pieces = job.pieces(k)
            f = opts.frozen.get((job.id, k))
            if f is not None:
                m = problem.machine(f.machine_id)
                c = span_candidate(problem, m, f.first, f.last, job, op, f.start, 10**12)
                placed[k] = Assignment(job.id, k, m.id, m.site_id, f.first, f.last, f.start, f.start + c.size, c.price, op.name)
                continue
            before = [placed[p] for p in job.predecessors(k)]
            tail, tail_ops = job.tails[k]
            latest_end = job.due - tail if job.hard_due else 10**12
            soft_deadline = job.due - tail - slack_per_op * tail_ops

            def search(machines):  # the best (score, assignment) on these machines, or None
                best = None
                for m in machines:
                    legs = [problem.leg(a.site_id, m.site_id) for a in before]
                    earliest = max([job.release, opts.not_before] + [a.end + leg.minutes for a, leg in zip(before, legs)])
                    shipping = sum(leg.cost for leg in legs)
                    ends = m.window_ends
                    i = bisect.bisect_right(ends, earliest)
                    tried = 0
                    placed_here = False
                    while i < len(m.windows) and tried < scan and m.windows[i].start < latest_end:
                        w = m.windows[i]
                        if w.min_lot <= pieces:
                            tried += 1
                            last_max = i + (opts.max_span - 1 if op.splittable else 0)
                            for last in range(i, min(last_max, len(m.windows) - 1) + 1):
                                if m.windows[last].min_lot > pieces:
                                    break
                                c = span_candidate(problem, m, i, last, job, op, earliest, latest_end, durations[k])
                                if c is None:
                                    continue
                                t = timelines[m.id].earliest(c.lo, c.hi, c.size)
                                if t is None:
                                    continue
                                cost = c.price + shipping
                                if rule == "earliest_finish":
                                    score = (t + c.size, cost)
                                elif rule == "cheapest":
                                    score = (cost, t + c.size)
                                else:  # cheapest_on_time: on-time options by cost, then late ones by finish
                                    late = t + c.size > soft_deadline
                                    score = (late, t + c.size if late else cost, cost)
                                if best is None or score < best[0]:
                                    best = (score, Assignment(job.id, k, m.id, m.site_id, i, last, t, t + c.size, c.price, op.name))
                                placed_here = True
                                break
                            if placed_here:
                                break  # greedy: the first window that fits on each machine
                        if rule == "earliest_finish" and best is not None and w.start >= best[0][0]:
                            break  # cannot beat the best finish any more
                        i += 1
                return best

            machines = by_process.get(op.process, ())
            planned = site_plan.get((job.id, k)) if site_plan else None
            best = search([m for m in machines if m.site_id == planned]) if planned else None
            if best is None:
                best = search(machines)
            if best is None:
                break
            a = best[1]
            placed[k] = a
            # booked at once: a later branch of the same BOM must not overlap it on this machine
            if opts.frozen.get(a.key) is None:
                timelines[a.machine_id].book(a.start, a.end)
        if len(placed) == len(job.operations):
            assignments.extend(placed[k] for k in sorted(placed))
        else:  # the job stays unfilled: give back what its first operations took
            for a in placed.values():
                if opts.frozen.get(a.key) is None:
                    timelines[a.machine_id].unbook(a.start, a.end)
    filled = {a.job_id for a in assignments}
    complete = all(j.id in filled for j in jobs)
    status = Status.FEASIBLE if complete or allow_unfilled else Status.UNKNOWN
    sol = summarize(problem, status, assignments, jobs=jobs, solve_time_s=time.perf_counter() - started)
    return sol
