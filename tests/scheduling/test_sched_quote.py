"""Use 1 — quotes: cheapest, fastest, balanced; virtual factory; brute-force optimum."""

import itertools
from dataclasses import replace

from sched_factories import DAY, bracket_job, three_site_world

from scheduling import (Busy, Job, Machine, Operation, Problem, Site, Solution, SolverParams, Status, Window, check,
                        quote)

PARAMS = SolverParams(time_limit_s=5, workers=1, seed=0)


def brute_force_cheapest(problem: Problem, job: Job) -> int | None:
    """Cheapest price + transport over every (machine, window) per operation, earliest starts."""
    options = []
    for op in job.operations:
        options.append([(m, i) for m in problem.machines if op.process in m.capabilities
                        for i in range(len(m.windows)) if m.windows[i].min_lot <= job.quantity])
    best = None
    for combo in itertools.product(*options):
        t, prev, cost, ok = job.release, None, 0, True
        for op, (m, i) in zip(job.operations, combo):
            w = m.windows[i]
            duration = op.duration(job.quantity)
            leg = problem.leg(prev, m.site_id) if prev else None
            start = max(t + (leg.minutes if leg else 0), w.start)
            if start + duration > w.end:
                ok = False
                break
            cost += w.price_for(minutes=duration, quantity=job.quantity, value=job.value) + (leg.cost if leg else 0)
            t, prev = start + duration, m.site_id
        if ok and (not job.hard_due or t <= job.due):
            best = cost if best is None else min(best, cost)
    return best


def test_operations_split_across_factories_when_no_single_factory_has_all_processes():
    problem = three_site_world(jobs=[bracket_job()])
    alternatives = quote(problem, "J1", params=PARAMS)
    assert alternatives
    for alt in alternatives:
        assert len(set(alt.sites)) >= 2  # coating only at B, assembly only at C
        assert alt.sites[-1] == "C"
        assert check(problem, Solution(alt.status, alt.assignments), require_all=True) == []


def test_cheapest_is_cheapest_and_fastest_is_fastest_among_the_alternatives():
    # the cheap mill at B is booked for the first two days, the expensive one at A is free now
    problem = replace(three_site_world(jobs=[bracket_job(due=6 * DAY)], days=6), busy=(Busy("B-mill", 0, 2 * DAY),))
    alternatives = quote(problem, "J1", params=PARAMS)
    by_label = {a.label: a for a in alternatives}
    assert {"cheapest", "fastest"} <= set(by_label)
    cheapest, fastest = by_label["cheapest"], by_label["fastest"]
    assert all(cheapest.total_cost <= a.total_cost for a in alternatives)
    assert all(fastest.completion <= a.completion for a in alternatives)
    assert cheapest.total_cost < fastest.total_cost and fastest.completion < cheapest.completion
    assert cheapest.assignments[0].machine_id == "B-mill" and fastest.assignments[0].machine_id == "A-mill"
    assert all(a.status is Status.OPTIMAL for a in alternatives)


def test_alternatives_with_identical_assignments_collapse_into_one():
    machines = [Machine("mill", "s", {"mill"}, [Window(0, 600, "per_hour", 6000)])]
    job = Job("J", 10, [Operation("mill", 10, 2)], due=600)
    alternatives = quote(Problem([Site("s")], machines, [job]), "J", params=PARAMS)
    assert [a.label for a in alternatives] == ["cheapest"]
    assert alternatives[0].price == 3000 and alternatives[0].completion == 30


def test_a_job_nobody_can_make_gets_no_alternatives():
    problem = three_site_world(jobs=[Job("X", 1, [Operation("laser")], due=DAY)])
    assert quote(problem, "X", params=PARAMS) == []


def test_quote_prices_each_window_by_its_own_pricing_mode():
    machines = [Machine("hour", "s", {"mill"}, [Window(0, 600, "per_hour", 6000)]),
                Machine("piece", "s", {"mill"}, [Window(0, 600, "per_piece", 250)]),
                Machine("value", "s", {"mill"}, [Window(0, 600, "percent_of_value", 100)])]
    job = Job("J", 20, [Operation("mill", 0, 3)], due=600, value=400_000)  # 60 min: 6000 / 5000 / 4000
    alternatives = quote(Problem([Site("s")], machines, [job]), "J", params=PARAMS)
    assert alternatives[0].assignments[0].machine_id == "value"
    assert alternatives[0].price == 4000


def test_a_job_of_unknown_value_is_never_offered_a_percent_of_value_window():
    machines = [Machine("hour", "s", {"mill"}, [Window(0, 600, "per_hour", 6000)]),
                Machine("value", "s", {"mill"}, [Window(0, 600, "percent_of_value", 1)])]
    job = Job("J", 20, [Operation("mill", 0, 3)], due=600, value=None)
    alternatives = quote(Problem([Site("s")], machines, [job]), "J", params=PARAMS)
    assert {a.machine_id for alt in alternatives for a in alt.assignments} == {"hour"}
    assert alternatives[0].price == 6000


def test_cheapest_quote_equals_the_brute_force_optimum_on_small_worlds():
    import random

    for seed in range(6):
        rnd = random.Random(seed)
        sites = [Site(f"s{i}") for i in range(3)]
        from scheduling import Leg
        transport = {(f"s{a}", f"s{b}"): Leg(rnd.randint(0, 90), rnd.randint(0, 3000)) for a in range(3) for b in range(a + 1, 3)}
        machines = []
        for i in range(4):
            caps = set(rnd.sample(["mill", "coat", "asm"], rnd.randint(1, 2)))
            windows = [Window(d * DAY + rnd.randint(0, 300), d * DAY + 600 + rnd.randint(0, 300),
                              rnd.choice(["per_hour", "per_piece", "percent_of_value"]), rnd.randint(100, 9000))
                       for d in range(2)]
            machines.append(Machine(f"m{i}", f"s{rnd.randint(0, 2)}", caps, windows))
        ops = [Operation(p, rnd.randint(0, 30), rnd.choice([1, 2, "0.5"])) for p in ["mill", "coat", "asm"][: rnd.randint(1, 3)]]
        job = Job("J", rnd.randint(5, 60), ops, due=2 * DAY, value=rnd.randint(10_000, 900_000))
        problem = Problem(sites, machines, [job], transport)
        expected = brute_force_cheapest(problem, job)
        alternatives = quote(problem, "J", params=PARAMS)
        if expected is None:
            assert alternatives == []
        else:
            assert alternatives[0].label == "cheapest"
            assert alternatives[0].total_cost == expected, seed
