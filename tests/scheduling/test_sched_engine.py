"""Randomized instances: every solution passes the independent checker."""

from hypothesis import HealthCheck, given, settings, strategies as st

from scheduling import (Busy, Job, Leg, Machine, Operation, Problem, Site, SolverParams, Status, Weights, Window,
                        batch_match, check, edd_dispatch, schedule_shop, solve)
from scheduling.candidates import CandidateOptions

PROCESSES = ["mill", "coat", "asm"]
FAST = SolverParams(time_limit_s=3, workers=1, seed=0)


@st.composite
def problems(draw):
    n_sites = draw(st.integers(1, 3))
    sites = [Site(f"s{i}", draw(st.sampled_from([0.5, 0.8, 1.0]))) for i in range(n_sites)]
    transport = {(f"s{a}", f"s{b}"): Leg(draw(st.integers(0, 60)), draw(st.integers(0, 500)))
                 for a in range(n_sites) for b in range(a + 1, n_sites)}
    machines = []
    for i in range(draw(st.integers(1, 4))):
        caps = draw(st.sets(st.sampled_from(PROCESSES), min_size=1, max_size=3))
        t, windows = 0, []
        for _ in range(draw(st.integers(1, 4))):
            t += draw(st.integers(0, 120))
            length = draw(st.integers(30, 400))
            windows.append(Window(t, t + length, draw(st.sampled_from(["per_hour", "per_piece", "percent_of_value"])),
                                  draw(st.integers(0, 5000)), draw(st.integers(1, 3))))
            t += length
        machines.append(Machine(f"m{i}", f"s{draw(st.integers(0, n_sites - 1))}", caps, windows))
    jobs = []
    for j in range(draw(st.integers(1, 4))):
        ops = [Operation(draw(st.sampled_from(PROCESSES)), draw(st.integers(0, 30)), draw(st.sampled_from(["0", "0.5", "1.25", "3"])),
                         draw(st.booleans())) for _ in range(draw(st.integers(1, 3)))]
        release = draw(st.integers(0, 200))
        jobs.append(Job(f"j{j}", draw(st.integers(1, 20)), ops, due=release + draw(st.integers(0, 1500)),
                        release=release, value=draw(st.integers(0, 100_000)), weight=draw(st.integers(0, 3)),
                        hard_due=draw(st.booleans())))
    busy = []
    if draw(st.booleans()):
        m = machines[0]
        w = m.windows[0]
        busy.append(Busy(m.id, w.start, w.start + max(1, (w.end - w.start) // 3), "booked"))
    return Problem(sites, machines, jobs, transport, busy)


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(problems())
def test_batch_solutions_on_random_instances_pass_the_independent_checker(problem):
    solution = batch_match(problem, params=FAST, candidate_options=CandidateOptions(windows_per_machine=None))
    assert solution.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert check(problem, solution) == []


@SETTINGS
@given(problems())
def test_schedule_solutions_on_random_instances_pass_the_checker_or_say_infeasible(problem):
    solution = schedule_shop(problem, params=FAST)
    assert solution.status in (Status.OPTIMAL, Status.FEASIBLE, Status.INFEASIBLE)
    if solution.status.has_solution:
        assert check(problem, solution, require_all=True) == []


@SETTINGS
@given(problems())
def test_greedy_dispatch_on_random_instances_passes_the_checker(problem):
    for rule in ("earliest_finish", "cheapest", "cheapest_on_time"):
        solution = edd_dispatch(problem, rule=rule, allow_unfilled=True)
        assert check(problem, solution) == []


@SETTINGS
@given(problems())
def test_batch_match_never_fills_fewer_jobs_than_the_greedy_baseline(problem):
    greedy = edd_dispatch(problem, allow_unfilled=True)
    solution = batch_match(problem, params=FAST, hint=greedy)
    assert len(solution.filled_jobs) >= len(greedy.filled_jobs)
    assert check(problem, solution) == []


def test_one_worker_and_a_fixed_seed_give_identical_solutions():
    machines = [Machine(f"m{i}", "s", {"mill", "coat"}, [Window(0, 2000, "per_hour", 1000 + 300 * i)]) for i in range(3)]
    jobs = [Job(f"j{k}", 5 + k, [Operation("mill", 10, 3), Operation("coat", 5, 2)], due=300 + 40 * k, weight=1 + k % 2)
            for k in range(6)]
    problem = Problem([Site("s")], machines, jobs)
    params = SolverParams(time_limit_s=5, workers=1, seed=7)
    first = solve(problem, weights=Weights(price=1, tardiness=50), params=params)
    second = solve(problem, weights=Weights(price=1, tardiness=50), params=params)
    assert first.status is Status.OPTIMAL
    assert first.assignments == second.assignments and first.objective == second.objective
