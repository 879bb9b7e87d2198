"""Where and when each operation may run: the candidate (machine, window span) list.

A candidate is one mode of an operation: a machine, a first and last window index on
it (equal unless the operation is splittable and spills over window gaps), the occupied
length ``size`` (= duration + the gaps crossed), the allowed start range ``[lo, hi]`` and
the price under the windows' pricing modes.  A split operation is billed at the most
expensive of its windows' prices for the whole operation (a conservative quote).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field, replace
from typing import Mapping

from .data import Job, Machine, Operation, Problem
from .timeline import Timeline

OpKey = tuple[str, int]  # (job id, operation index)


@dataclass(frozen=True)
class Candidate:
    machine_id: str
    site_id: str
    first: int
    last: int
    size: int
    lo: int
    hi: int
    price: int
    quality: int  # site quality in permille


@dataclass(frozen=True)
class Frozen:
    """An operation pinned where it is (already started)."""

    machine_id: str
    first: int
    last: int
    start: int


@dataclass(frozen=True)
class CandidateOptions:
    max_span: int = 3  # windows one splittable operation may cross
    windows_per_machine: int | None = 6  # first windows after the earliest start, per machine
    max_candidates: int | None = None  # keep the cheapest half and the earliest half
    not_before: int = 0  # nothing that is not frozen may start before this minute
    frozen: Mapping[OpKey, Frozen] = field(default_factory=dict)
    keep: Mapping[OpKey, tuple[tuple[str, int, int], ...]] = field(default_factory=dict)  # always keep these (machine, first, last)


def span_candidate(problem: Problem, machine: Machine, first: int, last: int, job: Job, op: Operation,
                   earliest: int, latest_end: int, duration: int | None = None) -> Candidate | None:
    """The candidate on windows ``first..last`` of ``machine``, or None when nothing fits."""
    windows = machine.windows
    pieces = job.quantity * op.multiplier
    if duration is None:
        duration = op.duration(pieces)
    gaps = windows[last].start - windows[first].end - sum(windows[i].end - windows[i].start for i in range(first + 1, last)) \
        if last > first else 0
    size = duration + gaps
    wf, wl = windows[first], windows[last]
    if first == last:
        lo, hi = wf.start, wf.end - size
    else:
        lo, hi = max(wf.start, wl.start - size + 1), min(wf.end - 1, wl.end - size)
    lo = max(lo, earliest)
    hi = min(hi, latest_end - size)
    if lo > hi:
        return None
    prices = [windows[i].price_for(minutes=duration, quantity=pieces, value=job.value)
              for i in range(first, last + 1)]
    if None in prices:  # a percent-of-value window cannot price a job of unknown value
        return None
    price = max(prices)
    quality = round(problem.site(machine.site_id).quality * 1000)
    return Candidate(machine.id, machine.site_id, first, last, size, lo, hi, price, quality)


def eligible(machine: Machine, op: Operation, job: Job) -> bool:
    return op.process in machine.capabilities


def operation_candidates(problem: Problem, job: Job, k: int, options: CandidateOptions,
                         *, by_process: Mapping[str, list[Machine]] | None = None,
                         booked: Mapping[str, Timeline] | None = None) -> list[Candidate]:
    """All candidates of operation ``k`` of ``job`` under ``options``.

    With ``booked`` (busy intervals per machine) a span whose start range is entirely
    blocked is skipped and the start range begins at the first free start.
    """
    key = (job.id, k)
    op = job.operations[k]
    if key in options.frozen:
        f = options.frozen[key]
        m = problem.machine(f.machine_id)
        c = span_candidate(problem, m, f.first, f.last, job, op, f.start, f.start + 10**12)
        if c is None or c.lo != f.start:
            raise ValueError(f"frozen operation {key} no longer fits windows {f.first}..{f.last} of {f.machine_id!r}")
        return [Candidate(c.machine_id, c.site_id, c.first, c.last, c.size, f.start, f.start, c.price, c.quality)]
    durations = job.durations
    pieces = job.pieces(k)
    # the longest chain of predecessors before it, the longest chain of successors after it
    earliest = max(job.release + job.heads[k], options.not_before)
    latest_end = job.due - job.tails[k][0] if job.hard_due else 10**12
    machines = by_process.get(op.process, []) if by_process is not None else [m for m in problem.machines if eligible(m, op, job)]
    result: list[Candidate] = []
    for m in machines:
        i = bisect.bisect_right(m.window_ends, earliest)
        taken = 0
        while i < len(m.windows) and (options.windows_per_machine is None or taken < options.windows_per_machine):
            if m.windows[i].start >= latest_end:
                break
            if m.windows[i].min_lot <= pieces:
                last_max = i + (options.max_span - 1 if op.splittable else 0)
                found = False
                for last in range(i, min(last_max, len(m.windows) - 1) + 1):
                    if m.windows[last].min_lot > pieces:
                        break
                    c = span_candidate(problem, m, i, last, job, op, earliest, latest_end, durations[k])
                    if c is not None and booked is not None and m.id in booked:
                        t = booked[m.id].earliest(c.lo, c.hi, c.size)
                        c = None if t is None else replace(c, lo=t)
                    if c is not None:
                        result.append(c)
                        found = True
                taken += found
            i += 1
    return _select(problem, job, k, result, options, earliest, latest_end)


def _select(problem: Problem, job: Job, k: int, result: list[Candidate], options: CandidateOptions,
            earliest: int, latest_end: int) -> list[Candidate]:
    """``result`` plus the spans ``options.keep`` names, cut to ``options.max_candidates``."""
    key, op = (job.id, k), job.operations[k]
    keep = set(options.keep.get(key, ()))
    have = {(c.machine_id, c.first, c.last) for c in result}
    for machine_id, first, last in sorted(keep - have):
        extra = span_candidate(problem, problem.machine(machine_id), first, last, job, op, earliest, latest_end)
        if extra is not None:
            result.append(extra)
    if options.max_candidates is not None and len(result) > options.max_candidates:
        half = max(1, options.max_candidates // 2)
        cheapest = sorted(result, key=lambda c: (c.price, c.lo, c.machine_id))[:half]
        earliest_c = sorted(result, key=lambda c: (c.lo + c.size, c.price, c.machine_id))[: options.max_candidates - half]
        chosen = {id(c): c for c in cheapest + earliest_c}
        for c in result:
            if (c.machine_id, c.first, c.last) in keep:
                chosen[id(c)] = c
        result = sorted(chosen.values(), key=lambda c: (c.machine_id, c.first, c.last))
    return result


def all_candidates(problem: Problem, options: CandidateOptions, job_ids=None) -> dict[OpKey, list[Candidate]]:
    by_process: dict[str, list[Machine]] = {}
    for m in problem.machines:
        for p in m.capabilities:
            by_process.setdefault(p, []).append(m)
    booked: dict[str, Timeline] = {}
    for b in problem.busy:
        booked.setdefault(b.machine_id, Timeline()).book(b.start, b.end)
    out = {}
    for job in problem.jobs:
        if job_ids is not None and job.id not in job_ids:
            continue
        for k in range(len(job.operations)):
            out[(job.id, k)] = operation_candidates(problem, job, k, options, by_process=by_process, booked=booked)
    return out


def prune(problem: Problem, candidates: Mapping[OpKey, list[Candidate]],
          options: CandidateOptions) -> dict[OpKey, list[Candidate]]:
    """Already computed ``candidates`` cut down by ``options`` (``max_candidates``, ``keep``),
    as :func:`all_candidates` with these options would return them, without recomputing."""
    out = {}
    for (job_id, k), cands in candidates.items():
        job = problem.job(job_id)
        if (job_id, k) in options.frozen:
            out[(job_id, k)] = cands
            continue
        earliest = max(job.release + job.heads[k], options.not_before)
        latest_end = job.due - job.tails[k][0] if job.hard_due else 10**12
        out[(job_id, k)] = _select(problem, job, k, list(cands), options, earliest, latest_end)
    return out


def keeping(options: CandidateOptions, sources) -> CandidateOptions:
    """``options`` that also keep every (machine, window span) the ``sources`` solutions chose,
    so a hint stays inside a pruned candidate set."""
    keep: dict = {}
    for source in sources:
        for a in source.assignments:
            keep.setdefault(a.key, set()).add((a.machine_id, a.first_window, a.last_window))
    return replace(options, keep={k: tuple(sorted(v)) for k, v in keep.items()})
