"""Greedy earliest-due-date dispatcher: the baseline, and the hint for CP-SAT.

Jobs in order of (due, release, id); each operation in turn goes to the candidate
(machine, window span) that finishes earliest (``rule="earliest_finish"``) or costs least
including transport (``rule="cheapest"``), at the earliest start that overlaps nothing
already booked.  A job whose operations cannot all be placed stays unfilled.
"""

from __future__ import annotations

import bisect
import time
from collections import defaultdict

from .candidates import CandidateOptions, span_candidate
from .data import Problem
from .result import Assignment, Solution, summarize
from .status import Status


class _Timeline:
    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def book(self, start: int, end: int) -> None:
        i = bisect.bisect_left(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)

    def earliest(self, lo: int, hi: int, size: int) -> int | None:
        """Earliest t in [lo, hi] with [t, t+size) free, or None."""
        t = lo
        i = max(0, bisect.bisect_right(self.starts, t) - 1)
        while t <= hi:
            while i < len(self.starts) and self.ends[i] <= t:
                i += 1
            if i == len(self.starts) or self.starts[i] >= t + size:
                return t
            t = self.ends[i]
        return None


def edd_dispatch(problem: Problem, *, rule: str = "earliest_finish", job_ids=None, allow_unfilled: bool = False,
                 candidate_options: CandidateOptions = CandidateOptions(windows_per_machine=None)) -> Solution:
    if rule not in ("earliest_finish", "cheapest"):
        raise ValueError(f"rule must be 'earliest_finish' or 'cheapest', got {rule!r}")
    started = time.perf_counter()
    opts = candidate_options
    timelines: dict[str, _Timeline] = defaultdict(_Timeline)
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
        durations = [o.duration(job.quantity) for o in job.operations]
        ready = max(job.release, opts.not_before)
        prev_site = None
        placed: list[Assignment] = []
        for k, op in enumerate(job.operations):
            f = opts.frozen.get((job.id, k))
            if f is not None:
                m = problem.machine(f.machine_id)
                c = span_candidate(problem, m, f.first, f.last, job, op, f.start, 10**12)
                placed.append(Assignment(job.id, k, m.id, m.site_id, f.first, f.last, f.start, f.start + c.size, c.price, op.name))
                ready, prev_site = f.start + c.size, m.site_id
                continue
            latest_end = job.due - sum(durations[k + 1:]) if job.hard_due else 10**12
            best = None
            for m in by_process.get(op.process, ()):
                leg = problem.leg(prev_site, m.site_id) if prev_site else None
                earliest = max(ready + (leg.minutes if leg else 0), opts.not_before)
                ends = [w.end for w in m.windows]
                i = bisect.bisect_right(ends, earliest)
                tried = 0
                while i < len(m.windows) and tried < scan and m.windows[i].start < latest_end:
                    w = m.windows[i]
                    if w.min_lot <= job.quantity:
                        tried += 1
                        last_max = i + (opts.max_span - 1 if op.splittable else 0)
                        for last in range(i, min(last_max, len(m.windows) - 1) + 1):
                            if m.windows[last].min_lot > job.quantity:
                                break
                            c = span_candidate(problem, m, i, last, job, op, earliest, latest_end)
                            if c is None:
                                continue
                            t = timelines[m.id].earliest(c.lo, c.hi, c.size)
                            if t is None:
                                continue
                            cost = c.price + (leg.cost if leg else 0)
                            score = (t + c.size, cost) if rule == "earliest_finish" else (cost, t + c.size)
                            if best is None or score < best[0]:
                                best = (score, Assignment(job.id, k, m.id, m.site_id, i, last, t, t + c.size, c.price, op.name))
                            break
                        if rule == "earliest_finish" and best is not None and best[1].machine_id == m.id:
                            break
                    i += 1
            if best is None:
                placed = []
                break
            a = best[1]
            placed.append(a)
            ready, prev_site = a.end, a.site_id
        if len(placed) == len(job.operations):
            for a in placed:
                if opts.frozen.get(a.key) is None:
                    timelines[a.machine_id].book(a.start, a.end)
            assignments.extend(placed)
    filled = {a.job_id for a in assignments}
    complete = all(j.id in filled for j in jobs)
    status = Status.FEASIBLE if complete or allow_unfilled else Status.UNKNOWN
    sol = summarize(problem, status, assignments, jobs=jobs, solve_time_s=time.perf_counter() - started)
    return sol
