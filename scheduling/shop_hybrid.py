"""Hybrid job-shop search: tabu search and large-neighbourhood search over CP-SAT sub-models
sharing one incumbent (two threads), then CP-SAT on the full model for the rest.

Why: at two cores the bare CP-SAT model spends most of a minute finding what a dedicated
local search finds in seconds.  Tabu (:mod:`.shop_tabu`) gives a strong incumbent; LNS
frees part of it (a time window, a few machines or a few jobs — every other operation keeps
its place in its machine's sequence) and lets CP-SAT re-optimise that part exactly, which
escapes the tabu search's local optima; each tabu round starts from the shared incumbent.
Small instances (at most ``SMALL`` operations) first get a short full-model solve, which
usually proves optimality at once.  The last share of the budget goes to the full model
hinted with the incumbent: it may still improve it and, with the one-machine (Jackson
preemptive) bound, gives the lower bound we report.

Classical job-shops only; flexible problems use the strong model (see :func:`.shop.solve_shop`).
"""

from __future__ import annotations

import heapq
import random
import threading
import time

from ortools.sat.python import cp_model

from .params import SolverParams
from .shop import ShopOperation, ShopProblem, ShopSolution, trivial_lower_bound
from .shop_tabu import Flat, evaluate, links, sequences_from_starts, tabu_search
from .status import Status


def flatten(problem: ShopProblem) -> Flat:
    if problem.is_flexible:
        raise ValueError("the hybrid search needs a classical job-shop (one machine per operation)")
    return Flat.from_jobs(problem.num_machines, [[alt[0] for alt in job] for job in problem.jobs])


def static_heads_tails(flat: Flat) -> tuple[list[int], list[int]]:
    """Sum of the job's earlier / later durations: release date and delivery time of each operation."""
    head, tail = [0] * flat.n, [0] * flat.n
    for o in range(flat.n):
        p = flat.job_prev[o]
        if p >= 0:
            head[o] = head[p] + flat.dur[p]
    for o in reversed(range(flat.n)):
        s = flat.job_next[o]
        if s >= 0:
            tail[o] = tail[s] + flat.dur[s]
    return head, tail


def jackson_bound(flat: Flat) -> int:
    """Max over machines of the one-machine preemptive bound with heads and tails.

    Each machine alone, operations released at their head and delivered after their tail,
    preemption allowed: Jackson's rule (run the available operation with the largest tail)
    is optimal for that relaxation, so its max(completion + tail) is a valid lower bound.
    """
    head, tail = static_heads_tails(flat)
    per_machine: list[list[int]] = [[] for _ in range(flat.num_machines)]
    for o in range(flat.n):
        per_machine[flat.mach[o]].append(o)
    bound = 0
    for ops in per_machine:
        ops = sorted(ops, key=lambda o: head[o])
        ready: list[tuple[int, int]] = []  # (-tail, remaining) as a max-heap on tail
        t, i, k = 0, 0, len(ops)
        remaining = {}
        while i < k or ready:
            if not ready and t < head[ops[i]]:
                t = head[ops[i]]
            while i < k and head[ops[i]] <= t:
                o = ops[i]
                remaining[o] = flat.dur[o]
                heapq.heappush(ready, (-tail[o], o))
                i += 1
            _, o = ready[0]
            run = remaining[o]
            if i < k:
                run = min(run, head[ops[i]] - t)
            t += run
            remaining[o] -= run
            if not remaining[o]:
                heapq.heappop(ready)
                bound = max(bound, t + tail[o])
    return bound


def lower_bound(problem: ShopProblem) -> int:
    lb = trivial_lower_bound(problem)
    if not problem.is_flexible:
        lb = max(lb, jackson_bound(flatten(problem)))
    return lb


def _model(flat: Flat, cmax: int, lb: int, seqs, free, starts):
    """CP-SAT model with makespan <= cmax; operations outside ``free`` keep their machine order."""
    head, tail = static_heads_tails(flat)
    dur = flat.dur
    cp = cp_model.CpModel()
    s = [cp.new_int_var(head[o], max(head[o], cmax - tail[o] - dur[o]), "") for o in range(flat.n)]
    per_machine: list[list] = [[] for _ in range(flat.num_machines)]
    for o in range(flat.n):
        per_machine[flat.mach[o]].append(cp.new_fixed_size_interval_var(s[o], dur[o], ""))
        nxt = flat.job_next[o]
        if nxt >= 0:
            cp.add(s[nxt] >= s[o] + dur[o])
        if starts is not None:
            cp.add_hint(s[o], starts[o])
    for intervals in per_machine:
        cp.add_no_overlap(intervals)
    if free is not None:
        for seq in seqs:
            fixed = [o for o in seq if o not in free]
            for a, b in zip(fixed, fixed[1:]):
                cp.add(s[b] >= s[a] + dur[a])
    makespan = cp.new_int_var(lb, cmax, "makespan")
    for o in range(flat.n):
        if flat.job_next[o] < 0:
            cp.add(makespan >= s[o] + dur[o])
    cp.add_hint(makespan, cmax)
    cp.minimize(makespan)
    return cp, s


def _solver(time_limit: float, workers: int, seed: int, *, log: bool = False) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.max_time_in_seconds = max(0.05, time_limit)
    p.num_workers = workers
    p.random_seed = seed
    p.log_search_progress = log
    if workers == 1:
        p.interleave_search = False
    return solver


def lns_step(flat: Flat, seqs, starts, cmax: int, lb: int, free: set[int], *, time_limit: float,
             workers: int = 1, seed: int = 0):
    """Re-optimise the ``free`` operations; returns (status, new seqs or None)."""
    cp, s = _model(flat, cmax, lb, seqs, free, starts)
    solver = _solver(time_limit, workers, seed)
    status = solver.solve(cp)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return status, None
    return status, sequences_from_starts(flat, [solver.value(v) for v in s])


def solver_status_name(status) -> str:
    return {cp_model.OPTIMAL: "OPT", cp_model.FEASIBLE: "FEAS", cp_model.INFEASIBLE: "INF"}.get(status, "UNK")


def choose_free(flat: Flat, kind: str, size: float, starts, cmax: int, rng: random.Random) -> set[int]:
    n_jobs = sum(1 for o in range(flat.n) if flat.job_prev[o] < 0)
    if kind == "window":
        width = max(1, int(size * cmax))
        t = rng.randrange(max(1, cmax - width + 1))
        return {o for o in range(flat.n) if t <= starts[o] < t + width}
    if kind == "machines":
        k = max(2, min(flat.num_machines, round(size * flat.num_machines)))
        chosen = set(rng.sample(range(flat.num_machines), k))
        return {o for o in range(flat.n) if flat.mach[o] in chosen}
    k = max(2, min(n_jobs, round(size * n_jobs)))
    firsts = [o for o in range(flat.n) if flat.job_prev[o] < 0]
    chosen_ops = set()
    for o in rng.sample(firsts, k):
        while o >= 0:
            chosen_ops.add(o)
            o = flat.job_next[o]
    return chosen_ops


SMALL = 100  # operations


class _Incumbent:
    """The best schedule so far, shared by the tabu thread and the LNS thread."""

    def __init__(self, flat: Flat, makespan: int, seqs, starts) -> None:
        self.flat = flat
        self.lock = threading.Lock()
        self.makespan, self.seqs, self.starts = makespan, [list(q) for q in seqs], list(starts)
        self.version = 0

    def get(self):
        with self.lock:
            return self.makespan, [list(q) for q in self.seqs], list(self.starts), self.version

    def offer(self, seqs, *, equal: bool = False) -> tuple[int, bool]:
        """Take ``seqs`` if strictly better (or, with ``equal``, as good); returns (its makespan, taken)."""
        mp, ms = links(self.flat, seqs)
        ev = evaluate(self.flat, mp, ms)
        if ev is None:
            return -1, False
        with self.lock:
            if ev[2] < self.makespan or (equal and ev[2] == self.makespan):
                self.makespan, self.seqs, self.starts = ev[2], [list(q) for q in seqs], ev[0]
                self.version += 1
                return ev[2], True
        return ev[2], False


def hybrid_search(flat: Flat, seqs, *, time_limit_s: float, workers: int = 2, seed: int = 0,
                  lb: int = 0, final_share: float = 0.1, started: float | None = None, log=None):
    """Returns (makespan, starts, lower bound, proven optimal).

    Until ``final_share`` of the budget is left, two threads share one incumbent: this one
    runs tabu rounds (each from the current incumbent, with a fresh seed), the other runs
    CP-SAT LNS steps on it with ``workers - 1`` CP-SAT workers (CP-SAT releases the GIL, so
    the two use two cores — the peers' two workers' worth).  Then the full model with every
    worker, hinted with the incumbent, improves it further and yields the bound.
    """
    started = time.perf_counter() if started is None else started
    deadline = started + time_limit_s
    final_at = deadline - final_share * time_limit_s
    rng = random.Random(seed)
    lns_rng = random.Random(rng.randrange(1 << 30))

    def note(msg):
        if log:
            log(f"{time.perf_counter() - started:6.1f}s {msg}")

    mp, ms = links(flat, seqs)
    ev = evaluate(flat, mp, ms)
    inc = _Incumbent(flat, ev[2], seqs, ev[0])
    if flat.n <= SMALL and ev[2] > lb:
        cp, s = _model(flat, ev[2], lb, seqs, None, ev[0])
        solver = _solver(min(1.0, 0.1 * time_limit_s), workers, seed)
        status = solver.solve(cp)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            inc.offer(sequences_from_starts(flat, [solver.value(v) for v in s]))
        if status == cp_model.OPTIMAL or status == cp_model.INFEASIBLE:
            best, _, starts, _ = inc.get()
            return best, starts, best, True
    stop = threading.Event()

    def lns_loop() -> None:
        sizes = {"window": 0.25, "machines": 0.3, "jobs": 0.3}
        kinds = list(sizes)
        step = stale = 0
        while not stop.is_set() and inc.makespan > lb and time.perf_counter() < final_at - 0.2 and stale < 40:
            step += 1
            kind = kinds[step % len(kinds)]
            cmax, cur, starts, _ = inc.get()
            free = choose_free(flat, kind, sizes[kind], starts, cmax, lns_rng)
            limit = min(2.0, final_at - time.perf_counter())
            t0 = time.perf_counter()
            status, new = lns_step(flat, cur, starts, cmax, lb, free, time_limit=limit,
                                   workers=max(1, workers - 1), seed=lns_rng.randrange(1 << 30))
            took = time.perf_counter() - t0
            if status == cp_model.OPTIMAL and took < 0.5 * limit:
                sizes[kind] = min(0.8, sizes[kind] * 1.1)
            elif status != cp_model.OPTIMAL:
                sizes[kind] = max(0.05, sizes[kind] * 0.9)
            made, taken = inc.offer(new, equal=True) if new is not None else (-1, False)
            if taken and made < cmax:
                stale = 0
                note(f"lns {kind} {len(free)} ops -> {made}")
            else:
                stale += 1
        note(f"lns thread: {step} steps, sizes {sizes}")

    helper = threading.Thread(target=lns_loop, name="shop-lns", daemon=True)
    if workers > 1:
        helper.start()
    rounds = 0
    while inc.makespan > lb and time.perf_counter() < final_at - 0.1:
        rounds += 1
        cmax, cur, _, _ = inc.get()
        res = tabu_search(flat, cur, seed=rng.randrange(1 << 30), deadline=final_at, lower_bound=lb,
                          max_restarts=2, on_improve=lambda c, q: inc.offer(q) if c < inc.makespan else None)
        made, taken = inc.offer(res.sequences)
        if taken:
            note(f"tabu round {rounds} -> {made} ({res.iterations} iterations)")
        if workers == 1 and time.perf_counter() < final_at - 0.1:
            # no second core: LNS steps take turns with the tabu rounds
            cmax, cur, starts, _ = inc.get()
            free = choose_free(flat, rng.choice(["window", "machines", "jobs"]), 0.25, starts, cmax, rng)
            _, new = lns_step(flat, cur, starts, cmax, lb, free, time_limit=min(1.0, final_at - time.perf_counter()),
                              workers=1, seed=rng.randrange(1 << 30))
            if new is not None:
                inc.offer(new, equal=True)
        if res.makespan <= lb:
            break
        if rounds >= 200 and res.makespan >= cmax and workers == 1:
            break
    note(f"tabu: {rounds} rounds, incumbent {inc.makespan}")
    stop.set()
    if helper.is_alive():
        helper.join()
    best, best_seqs, starts, _ = inc.get()
    proven = best <= lb
    left = deadline - time.perf_counter()
    if not proven and left > 0.1:
        cp, s = _model(flat, best, lb, best_seqs, None, starts)
        solver = _solver(left, workers, seed)
        status = solver.solve(cp)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            made, taken = inc.offer(sequences_from_starts(flat, [solver.value(v) for v in s]))
            if taken:
                note(f"full model -> {made}")
            lb = max(lb, int(solver.best_objective_bound))
            proven = status == cp_model.OPTIMAL
        elif status == cp_model.INFEASIBLE:
            proven = True  # nothing below the incumbent: it is optimal
    best, best_seqs, starts, _ = inc.get()
    if proven:
        lb = best
    return best, starts, min(lb, best), proven


def solve_hybrid(problem: ShopProblem, params: SolverParams = SolverParams(), *, log=None) -> ShopSolution:
    from .shop_dispatch import best_dispatch

    started = time.perf_counter()
    flat = flatten(problem)
    greedy_makespan, greedy = best_dispatch(problem)
    starts0 = [0] * flat.n
    for o in greedy:
        starts0[flat.index[(o.job, o.operation)]] = o.start
    lb = lower_bound(problem)
    best, starts, bound, proven = hybrid_search(
        flat, sequences_from_starts(flat, starts0), time_limit_s=params.time_limit_s, workers=params.workers,
        seed=params.seed, lb=lb, started=started, log=log)
    schedule = tuple(sorted((ShopOperation(j, k, flat.mach[o], starts[o], starts[o] + flat.dur[o])
                             for o, (j, k) in enumerate(flat.key)), key=lambda o: (o.job, o.operation)))
    return ShopSolution(Status.OPTIMAL if proven else Status.FEASIBLE, best, bound,
                        time.perf_counter() - started, schedule, greedy_makespan)
