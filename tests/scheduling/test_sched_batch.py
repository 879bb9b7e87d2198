"""Use 2 — batch match: fills at least as many jobs as greedy, at no higher cost."""

import random

from scheduling import (Job, Leg, Machine, Operation, Problem, Site, SolverParams, Status, Window, batch_match, check,
                        edd_dispatch)

DAY = 24 * 60


def congested_market(seed: int) -> Problem:
    rnd = random.Random(seed)
    sites = [Site(f"f{i}", round(rnd.uniform(0.6, 1.0), 2)) for i in range(4)]
    transport = {(f"f{a}", f"f{b}"): Leg(rnd.randint(30, 180), rnd.randint(500, 4000)) for a in range(4) for b in range(a + 1, 4)}
    machines = []
    for i in range(8):
        caps = {["mill", "turn", "coat", "asm"][i % 4], rnd.choice(["mill", "turn", "coat", "asm"])}
        windows = [Window(d * DAY + 8 * 60, d * DAY + 18 * 60, rnd.choice(["per_hour", "per_piece"]),
                          rnd.randint(2000, 12000) if True else 0) for d in range(3)]
        machines.append(Machine(f"m{i}", f"f{i % 4}", caps, windows))
    jobs = []
    for j in range(14):
        ops = [Operation(p, rnd.randint(10, 40), rnd.choice([1, 2, 3])) for p in rnd.sample(["mill", "turn", "coat", "asm"], 2)]
        jobs.append(Job(f"j{j}", rnd.randint(20, 90), ops, due=rnd.randint(1, 3) * DAY, value=rnd.randint(50_000, 500_000)))
    return Problem(sites, machines, jobs, transport)


def test_batch_match_fills_at_least_as_many_jobs_as_greedy_and_costs_no_more_when_equal():
    for seed in range(3):
        problem = congested_market(seed)
        greedy = edd_dispatch(problem, allow_unfilled=True)
        solution = batch_match(problem, params=SolverParams(time_limit_s=4, workers=1, seed=0), hint=greedy)
        assert solution.status in (Status.OPTIMAL, Status.FEASIBLE)
        assert check(problem, solution) == []
        assert len(solution.filled_jobs) >= len(greedy.filled_jobs)
        if len(solution.filled_jobs) == len(greedy.filled_jobs):
            assert solution.cost.total <= greedy.cost.total


def test_a_job_that_cannot_be_made_stays_unfilled_while_the_others_are_matched():
    machines = [Machine("m", "s", {"mill"}, [Window(0, 600, "per_hour", 6000)])]
    jobs = [Job("ok", 10, [Operation("mill", 10, 2)], due=600), Job("laser", 1, [Operation("laser", 5)], due=600)]
    problem = Problem([Site("s")], machines, jobs)
    solution = batch_match(problem, params=SolverParams(time_limit_s=5))
    assert solution.status is Status.OPTIMAL
    assert solution.filled_jobs == ["ok"]
    assert solution.job("laser").filled is False


def test_filling_a_job_dominates_its_cost():
    # two jobs fit only if the expensive machine is used for one of them
    machines = [Machine("cheap", "s", {"mill"}, [Window(0, 100, "per_hour", 600)]),
                Machine("dear", "s", {"mill"}, [Window(0, 100, "per_hour", 60_000)])]
    jobs = [Job(f"j{i}", 1, [Operation("mill", 80)], due=100, hard_due=True) for i in range(2)]
    solution = batch_match(Problem([Site("s")], machines, jobs), params=SolverParams(time_limit_s=5))
    assert solution.status is Status.OPTIMAL
    assert len(solution.filled_jobs) == 2
    assert solution.cost.price == 800 + 80_000


def test_chunked_search_on_a_larger_market_keeps_every_job_and_never_costs_more_than_its_start():
    from scheduling.batch import best_greedy

    problem = congested_market(7)
    start = best_greedy(problem)
    solution = batch_match(problem, params=SolverParams(time_limit_s=8, workers=1, seed=0), chunk_size=5,
                           wall_budget_s=8)
    assert solution.status is Status.FEASIBLE
    assert check(problem, solution) == []
    assert len(solution.filled_jobs) >= len(start.filled_jobs)
    if len(solution.filled_jobs) == len(start.filled_jobs):
        assert solution.cost.total <= start.cost.total
