"""The hybrid job-shop search: tabu on N5, CP-SAT LNS, the one-machine lower bound."""

import random

from hypothesis import given, settings, strategies as st

from scheduling.params import SolverParams
from scheduling.shop import ShopOperation, ShopProblem, solve_shop, trivial_lower_bound
from scheduling.shop_check import check_shop
from scheduling.shop_dispatch import best_dispatch
from scheduling.shop_hybrid import flatten, jackson_bound, lns_step, lower_bound, solve_hybrid
from scheduling.shop_tabu import (
    _with_sentinels, critical_blocks, evaluate, links, n5_moves, sequences_from_starts, swap_and_update,
    tabu_search,
)
from scheduling.status import Status

from test_sched_shop import FT06, brute_force_makespan


def random_jobshop(seed: int, jobs: int, machines: int) -> ShopProblem:
    rng = random.Random(seed)
    return ShopProblem.from_jobshop(machines, [[(m, rng.randint(1, 30)) for m in rng.sample(range(machines), machines)]
                                               for _ in range(jobs)])


def greedy_sequences(problem: ShopProblem):
    flat = flatten(problem)
    makespan, schedule = best_dispatch(problem)
    starts = [0] * flat.n
    for o in schedule:
        starts[flat.index[(o.job, o.operation)]] = o.start
    return flat, sequences_from_starts(flat, starts), makespan


def as_schedule(flat, starts):
    return [ShopOperation(j, k, flat.mach[o], starts[o], starts[o] + flat.dur[o]) for o, (j, k) in enumerate(flat.key)]


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 8), st.integers(2, 6))
def test_tabu_schedules_are_checker_clean_and_never_worse_than_their_start(seed, jobs, machines):
    problem = random_jobshop(seed, jobs, machines)
    flat, seqs, greedy = greedy_sequences(problem)
    result = tabu_search(flat, seqs, seed=seed, max_iterations=300)
    assert check_shop(problem, as_schedule(flat, result.starts), result.makespan) == []
    assert result.makespan <= greedy
    assert result.makespan >= lower_bound(problem)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000))
def test_incremental_heads_and_tails_equal_a_full_recomputation(seed):
    rng = random.Random(seed)
    flat, seqs, _ = greedy_sequences(random_jobshop(seed, rng.randint(2, 8), rng.randint(2, 6)))
    mp, ms = links(flat, seqs)
    head, tail, cmax, order = evaluate(flat, mp, ms)
    head, fin, tq = _with_sentinels(flat, head, tail)
    pos = {o: i for i, o in enumerate(order)}
    pos = [pos[o] for o in range(flat.n)]
    lasts = [o for o in range(flat.n) if flat.job_next[o] < 0]
    for _ in range(60):
        moves = n5_moves(critical_blocks(flat, mp, head, cmax, lasts))
        if not moves:
            break
        cmax = swap_and_update(flat, seqs, mp, ms, head, fin, tq, order, pos, lasts, *rng.choice(moves))
        full = evaluate(flat, mp, ms)
        assert full is not None  # an N5 swap never creates a cycle
        h, t, c, _ = full
        assert (h, c) == (head[:-1], cmax)
        assert [a + d for a, d in zip(t, flat.dur)] == tq[:-1]
        assert all(order[pos[o]] == o for o in range(flat.n))


def test_tabu_is_deterministic_for_a_seed_and_an_iteration_limit():
    problem = random_jobshop(7, 10, 6)
    flat, seqs, _ = greedy_sequences(problem)
    a = tabu_search(flat, seqs, seed=3, max_iterations=2000)
    b = tabu_search(flat, seqs, seed=3, max_iterations=2000)
    assert (a.makespan, a.starts, a.sequences, a.iterations) == (b.makespan, b.starts, b.sequences, b.iterations)


def test_tabu_reaches_the_ft06_optimum():
    problem = ShopProblem.from_jobshop(6, FT06)
    flat, seqs, greedy = greedy_sequences(problem)
    assert greedy > 55
    assert tabu_search(flat, seqs, seed=0, max_iterations=20_000, lower_bound=55).makespan == 55


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000))
def test_lns_step_from_a_hint_improves_or_equals_it(seed):
    problem = random_jobshop(seed, 8, 5)
    flat, seqs, greedy = greedy_sequences(problem)
    mp, ms = links(flat, seqs)
    starts, _, cmax, _ = evaluate(flat, mp, ms)
    free = {o for o in range(flat.n) if flat.mach[o] in (0, 1)}
    _, new = lns_step(flat, seqs, starts, cmax, lower_bound(problem), free, time_limit=5, workers=1, seed=seed)
    assert new is not None  # the hint itself satisfies makespan <= cmax
    nmp, nms = links(flat, new)
    nstarts, _, ncmax, _ = evaluate(flat, nmp, nms)
    assert ncmax <= cmax <= greedy
    assert check_shop(problem, as_schedule(flat, nstarts), ncmax) == []
    # the operations outside the neighbourhood kept their order on each machine
    for old, kept in zip(seqs, new):
        assert [o for o in old if o not in free] == [o for o in kept if o not in free]


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 3), st.integers(2, 3))
def test_jackson_bound_is_valid_and_at_least_the_machine_load(seed, jobs, machines):
    problem = random_jobshop(seed, jobs, machines)
    flat = flatten(problem)
    bound = jackson_bound(flat)
    loads = [sum(d for job in problem.jobs for ((m, d),) in job if m == k) for k in range(machines)]
    assert max(loads) <= bound <= brute_force_makespan(problem)


def test_jackson_bound_beats_the_trivial_bound_where_heads_and_tails_matter():
    # machine 0 only gets work after 10 minutes and every job still has 10 minutes after it:
    # 10 + 5 + 5 + 10 = 30, where the longest job and the largest load give 25 (and 30 is optimal)
    problem = ShopProblem.from_jobshop(3, [[(1, 10), (0, 5), (2, 10)], [(2, 10), (0, 5), (1, 10)]])
    assert trivial_lower_bound(problem) == 25
    assert jackson_bound(flatten(problem)) == 30 == brute_force_makespan(problem)


def test_hybrid_solves_ft06_to_proven_optimality_quickly():
    solution = solve_hybrid(ShopProblem.from_jobshop(6, FT06), SolverParams(time_limit_s=20, workers=1, seed=0))
    assert (solution.makespan, solution.status, solution.lower_bound) == (55, Status.OPTIMAL, 55)
    assert solution.solve_time_s < 15
    assert check_shop(ShopProblem.from_jobshop(6, FT06), solution.schedule, solution.makespan) == []


def test_hybrid_is_the_default_and_beats_or_equals_the_greedy_hint():
    problem = random_jobshop(11, 12, 6)
    solution = solve_shop(problem, SolverParams(time_limit_s=3, workers=1, seed=0))
    assert check_shop(problem, solution.schedule, solution.makespan) == []
    assert solution.makespan <= solution.greedy_makespan
    assert solution.lower_bound <= solution.makespan


def test_flexible_problems_fall_back_to_the_strong_model():
    problem = ShopProblem(2, (((( 0, 3), (1, 4)),), (((0, 2),), ((1, 5),))))
    solution = solve_shop(problem, SolverParams(time_limit_s=5, workers=1, seed=0))
    assert solution.status is Status.OPTIMAL
    assert check_shop(problem, solution.schedule, solution.makespan) == []


def test_checker_reports_overlap_precedence_and_wrong_makespan():
    problem = ShopProblem.from_jobshop(2, [[(0, 3), (1, 2)], [(0, 2)]])
    bad = [ShopOperation(0, 0, 0, 0, 3), ShopOperation(0, 1, 1, 2, 4), ShopOperation(1, 0, 0, 1, 3)]
    errors = check_shop(problem, bad, 5)
    assert any("overlaps" in e for e in errors)
    assert any("before op 0 ends" in e for e in errors)
    assert any("claimed makespan" in e for e in errors)
