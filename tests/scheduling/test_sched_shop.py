"""Pure job-shop / flexible job-shop makespan models (the CLI's engine)."""

import itertools

from hypothesis import given, settings, strategies as st

from scheduling.params import SolverParams
from scheduling.shop import ShopProblem, solve_shop
from scheduling.shop_dispatch import best_dispatch
from scheduling.status import Status

FT06 = [
    [(2, 1), (0, 3), (1, 6), (3, 7), (5, 3), (4, 6)],
    [(1, 8), (2, 5), (4, 10), (5, 10), (0, 10), (3, 4)],
    [(2, 5), (3, 4), (5, 8), (0, 9), (1, 1), (4, 7)],
    [(1, 5), (0, 5), (2, 5), (3, 3), (4, 8), (5, 9)],
    [(2, 9), (1, 3), (4, 5), (5, 4), (0, 3), (3, 1)],
    [(1, 3), (3, 3), (5, 9), (0, 10), (4, 4), (2, 1)],
]
PARAMS = SolverParams(time_limit_s=20, workers=1, seed=0)


def assert_feasible(problem: ShopProblem, schedule) -> None:
    by_op = {(o.job, o.operation): o for o in schedule}
    assert len(by_op) == sum(len(job) for job in problem.jobs)
    for (j, k), o in by_op.items():
        assert (o.machine, o.end - o.start) in problem.jobs[j][k]
        if k:
            assert o.start >= by_op[(j, k - 1)].end
    per_machine = {}
    for o in schedule:
        per_machine.setdefault(o.machine, []).append((o.start, o.end))
    for intervals in per_machine.values():
        intervals.sort()
        assert all(a[1] <= b[0] for a, b in zip(intervals, intervals[1:]))


def brute_force_makespan(problem: ShopProblem) -> int:
    """Minimum over every machine assignment and every machine sequence (semi-active schedules)."""
    ops = [(j, k) for j, job in enumerate(problem.jobs) for k in range(len(job))]
    best = None
    for choice in itertools.product(*[problem.jobs[j][k] for j, k in ops]):
        assign = dict(zip(ops, choice))
        per_machine = {}
        for op, (m, _) in assign.items():
            per_machine.setdefault(m, []).append(op)
        machines = sorted(per_machine)
        for orders in itertools.product(*[itertools.permutations(per_machine[m]) for m in machines]):
            preds = {op: [] for op in ops}
            for j, k in ops:
                if k:
                    preds[(j, k)].append((j, k - 1))
            for order in orders:
                for a, b in zip(order, order[1:]):
                    preds[b].append(a)
            end, done, progress = {}, set(), True
            while progress and len(done) < len(ops):
                progress = False
                for op in ops:
                    if op not in done and all(p in done for p in preds[op]):
                        end[op] = max((end[p] for p in preds[op]), default=0) + assign[op][1]
                        done.add(op)
                        progress = True
            if len(done) == len(ops):
                makespan = max(end.values())
                best = makespan if best is None else min(best, makespan)
    return best


def test_ft06_is_solved_to_its_optimum_55():
    problem = ShopProblem.from_jobshop(6, FT06)
    solution = solve_shop(problem, PARAMS)
    assert solution.status is Status.OPTIMAL
    assert solution.makespan == 55
    assert solution.lower_bound == 55
    assert_feasible(problem, solution.schedule)


def test_bare_textbook_model_also_finds_55_on_ft06():
    solution = solve_shop(ShopProblem.from_jobshop(6, FT06), PARAMS, model="bare")
    assert solution.status is Status.OPTIMAL
    assert solution.makespan == 55


def test_greedy_dispatch_gives_a_feasible_but_not_better_schedule_on_ft06():
    problem = ShopProblem.from_jobshop(6, FT06)
    makespan, schedule = best_dispatch(problem)
    assert makespan >= 55
    assert_feasible(problem, schedule)


small_fjsp = st.integers(2, 3).flatmap(
    lambda m: st.builds(
        lambda jobs: ShopProblem(m, tuple(tuple(tuple(op) for op in job) for job in jobs)),
        st.lists(
            st.lists(
                st.lists(st.tuples(st.integers(0, m - 1), st.integers(1, 9)), min_size=1, max_size=2,
                         unique_by=lambda t: t[0]),
                min_size=1, max_size=2),
            min_size=1, max_size=3),
    )
)


@settings(max_examples=25, deadline=None)
@given(small_fjsp)
def test_solver_equals_brute_force_optimum_on_tiny_flexible_job_shops(problem):
    solution = solve_shop(problem, SolverParams(time_limit_s=10, workers=1, seed=1))
    assert solution.status is Status.OPTIMAL
    assert solution.makespan == brute_force_makespan(problem)
    assert_feasible(problem, solution.schedule)


@settings(max_examples=15, deadline=None)
@given(small_fjsp)
def test_bare_model_agrees_with_the_strong_model_on_tiny_instances(problem):
    strong = solve_shop(problem, SolverParams(time_limit_s=10, workers=1, seed=1))
    bare = solve_shop(problem, SolverParams(time_limit_s=10, workers=1, seed=1), model="bare")
    assert bare.status is Status.OPTIMAL
    assert bare.makespan == strong.makespan
