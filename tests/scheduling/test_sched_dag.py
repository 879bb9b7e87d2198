"""Bills of materials: operations whose precedence is a DAG (components merging into
assemblies), with transport on every edge and per-component quantities.

Known answers on tiny instances, then random BOMs: every solution of quote, batch, the
greedy dispatchers and reschedule passes the independent checker; cyclic inputs are refused.
"""

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from scheduling import (Job, Leg, Machine, Operation, Problem, Site, SolverParams, Status, Weights, Window, batch_match,
                        check, edd_dispatch, quote, reschedule, schedule_shop, solve)
from scheduling.candidates import CandidateOptions
from scheduling.result import Assignment, Solution, summarize

FAST = SolverParams(time_limit_s=3, workers=1, seed=0)
PROCESSES = ["mill", "turn", "weld", "asm"]


def two_component_world(*, hard_due: bool = False, due: int = 10_000) -> Problem:
    """Component A milled at site X, component B turned at site Y (2 per finished piece),
    both shipped to site Z for assembly."""
    sites = [Site("X"), Site("Y"), Site("Z")]
    machines = [Machine("X-mill", "X", {"mill"}, [Window(0, 5000, "per_hour", 6000)]),
                Machine("Y-turn", "Y", {"turn"}, [Window(0, 5000, "per_piece", 100)]),
                Machine("Z-asm", "Z", {"asm"}, [Window(0, 5000, "per_hour", 600)])]
    transport = {("X", "Z"): Leg(120, 1_000), ("Y", "Z"): Leg(30, 400), ("X", "Y"): Leg(60, 500)}
    job = Job("J", 10, [Operation("mill", 20, 3, name="A mill"), Operation("turn", 10, 1, name="B turn", multiplier=2),
                        Operation("asm", 5, 1, name="assemble")],
              due=due, hard_due=hard_due, after=((), (), (0, 1)))
    return Problem(sites, machines, [job], transport)


@pytest.mark.parametrize("how", ["greedy", "cp-sat"])
def test_the_assembly_waits_for_both_components_plus_their_transport(how):
    problem = two_component_world()
    solution = (edd_dispatch(problem) if how == "greedy"
                else solve(problem, weights=Weights(price=1, transport=1, completion=1_000), params=FAST))
    assert check(problem, solution, require_all=True) == []
    mill, turn, asm = (solution.assignment("J", k) for k in range(3))
    # mill: 20 + 10*3 = 50 min; turn: 10 + 20 pieces * 1 = 30 min; both start at 0
    assert (mill.start, mill.end, turn.start, turn.end) == (0, 50, 0, 30)
    assert asm.start == max(50 + 120, 30 + 30) == 170
    assert asm.end == 170 + 15
    # per-piece price counts the component's pieces: 20 pieces x 100
    assert turn.price == 2_000
    # two shipments into the assembly, none between the components
    assert solution.cost.transport == 1_000 + 400
    assert solution.jobs[0].completion == 185


def test_a_chain_given_as_after_solves_exactly_like_the_implicit_chain():
    base = two_component_world().jobs[0]
    ops = base.operations
    implicit = Problem(two_component_world().sites, two_component_world().machines,
                       [Job("J", 10, ops, due=10_000)], two_component_world().transport)
    explicit = Problem(implicit.sites, implicit.machines, [Job("J", 10, ops, due=10_000, after=((), (0,), (1,)))],
                       implicit.transport)
    a, b = batch_match(implicit, params=FAST), batch_match(explicit, params=FAST)
    assert a.assignments == b.assignments and a.cost == b.cost
    assert explicit.jobs[0].is_chain


def test_the_checker_reports_an_assembly_that_starts_before_a_component_arrives():
    problem = two_component_world()
    good = batch_match(problem, params=FAST)
    asm = good.assignment("J", 2)
    early = Assignment("J", 2, asm.machine_id, asm.site_id, 0, 0, 100, 115, asm.price, asm.op_name)
    bad = summarize(problem, Status.FEASIBLE, [good.assignment("J", 0), good.assignment("J", 1), early])
    assert any("op2 starts 100 before op0 end 50 + transport 120" in e for e in check(problem, bad))


def test_the_checker_reports_a_sink_after_a_hard_due_date():
    problem = two_component_world(hard_due=True, due=184)
    relaxed = batch_match(two_component_world(), params=FAST)
    assert any("after hard due 184" in e for e in check(problem, relaxed))
    assert batch_match(problem, params=FAST).filled_jobs == []  # 185 minutes at least: cannot be on time


def test_completion_is_the_last_of_several_sinks():
    sites = [Site("X")]
    machines = [Machine("m1", "X", {"mill"}, [Window(0, 1000)]), Machine("m2", "X", {"mill"}, [Window(0, 1000)])]
    job = Job("J", 1, [Operation("mill", 10), Operation("mill", 40), Operation("mill", 5)], due=1000,
              after=((), (0,), (0,)))
    problem = Problem(sites, machines, [job])
    assert job.sinks == (1, 2)
    solution = batch_match(problem, params=FAST)
    assert check(problem, solution, require_all=True) == []
    assert solution.jobs[0].completion == 50


@pytest.mark.parametrize("after, message", [
    (((), (2,), (1,)), "operations 1 -> 2 -> 1 form a cycle"),
    (((), (1,), ()), "operation 1 cannot come after itself"),
    (((), (), (5,)), "operation 2 names predecessor 5, out of range 0..2"),
    (((), (-1,), ()), "operation 1 names predecessor -1, out of range 0..2"),
    (((), ()), "after has 2 entries for 3 operations"),
    (((), (0, 0), ()), "names a predecessor twice"),
])
def test_bad_precedence_is_refused_with_the_offending_operations(after, message):
    with pytest.raises(ValueError, match=message):
        Job("J", 1, [Operation("mill", 1)] * 3, due=10, after=after)


def test_a_multiplier_below_one_is_refused():
    with pytest.raises(ValueError, match="multiplier 0 must be an integer >= 1"):
        Operation("mill", 1, multiplier=0)


def test_the_greedy_dispatcher_places_components_before_their_assembly_even_when_listed_after_it():
    problem = two_component_world()
    job = problem.jobs[0]
    # the assembly first in the list: op 0 after ops 1 and 2
    reordered = Job("J", 10, [job.operations[2], job.operations[0], job.operations[1]], due=10_000,
                    after=((1, 2), (), ()))
    problem = Problem(problem.sites, problem.machines, [reordered], problem.transport)
    assert reordered.order == (1, 2, 0)
    for rule in ("earliest_finish", "cheapest", "cheapest_on_time"):
        solution = edd_dispatch(problem, rule=rule)
        assert check(problem, solution, require_all=True) == []


# -- random bills of materials --------------------------------------------------------------

@st.composite
def boms(draw, max_ops: int = 7):
    """A random DAG: each operation after any subset of the earlier ones (in a random
    listing order, so predecessors may come later in the list)."""
    n = draw(st.integers(1, max_ops))
    preds = [draw(st.sets(st.integers(0, k - 1), max_size=min(k, 3))) if k else set() for k in range(n)]
    perm = draw(st.permutations(range(n)))  # position of topological node i in the list
    after = [()] * n
    for i in range(n):
        after[perm[i]] = tuple(sorted(perm[p] for p in preds[i]))
    return tuple(after)


@st.composite
def bom_problems(draw):
    n_sites = draw(st.integers(1, 3))
    sites = [Site(f"s{i}") for i in range(n_sites)]
    transport = {(f"s{a}", f"s{b}"): Leg(draw(st.integers(0, 90)), draw(st.integers(0, 500)))
                 for a in range(n_sites) for b in range(a + 1, n_sites)}
    machines = []
    for i in range(draw(st.integers(1, 5))):
        caps = draw(st.sets(st.sampled_from(PROCESSES), min_size=1, max_size=4))
        t, windows = 0, []
        for _ in range(draw(st.integers(1, 4))):
            t += draw(st.integers(0, 120))
            length = draw(st.integers(60, 600))
            windows.append(Window(t, t + length, draw(st.sampled_from(["per_hour", "per_piece"])),
                                  draw(st.integers(0, 3000)), draw(st.integers(1, 4))))
            t += length
        machines.append(Machine(f"m{i}", f"s{draw(st.integers(0, n_sites - 1))}", caps, windows))
    jobs = []
    for j in range(draw(st.integers(1, 3))):
        after = draw(boms())
        ops = [Operation(draw(st.sampled_from(PROCESSES)), draw(st.integers(0, 20)),
                         draw(st.sampled_from(["0", "0.5", "2"])), draw(st.booleans()),
                         multiplier=draw(st.integers(1, 3))) for _ in after]
        release = draw(st.integers(0, 100))
        jobs.append(Job(f"j{j}", draw(st.integers(1, 8)), ops, due=release + draw(st.integers(0, 2000)),
                        release=release, weight=draw(st.integers(0, 3)), hard_due=draw(st.booleans()),
                        after=after))
    return Problem(sites, machines, jobs, transport)


SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ALL_WINDOWS = CandidateOptions(windows_per_machine=None)


@SETTINGS
@given(bom_problems())
def test_greedy_solutions_on_random_boms_pass_the_independent_checker(problem):
    for rule in ("earliest_finish", "cheapest", "cheapest_on_time"):
        solution = edd_dispatch(problem, rule=rule, allow_unfilled=True)
        assert check(problem, solution) == []


@SETTINGS
@given(bom_problems())
def test_batch_solutions_on_random_boms_pass_the_independent_checker(problem):
    solution = batch_match(problem, params=FAST, candidate_options=ALL_WINDOWS)
    assert solution.status.has_solution
    assert check(problem, solution) == []
    greedy = edd_dispatch(problem, allow_unfilled=True)
    assert len(solution.filled_jobs) >= len(greedy.filled_jobs)


@SETTINGS
@given(bom_problems())
def test_quote_alternatives_on_random_boms_pass_the_independent_checker(problem):
    job = problem.jobs[0]
    for alt in quote(problem, job.id, params=FAST):
        solution = Solution(alt.status, alt.assignments)
        assert check(problem, solution) == []
        assert {a.op_index for a in alt.assignments} == set(range(len(job.operations)))
        assert alt.completion == max(a.end for a in alt.assignments if a.op_index in job.sinks)


@SETTINGS
@given(bom_problems(), st.integers(0, 600), st.booleans())
def test_reschedules_of_random_boms_pass_the_independent_checker(problem, now, break_one):
    before = schedule_shop(problem, params=FAST)
    if not before.status.has_solution:
        return
    assert check(problem, before) == []
    down = [before.assignments[0].machine_id] if break_one and before.assignments else []
    result = reschedule(problem, before, now, down_machines=down, params=FAST)
    assert check(result.problem, result.solution) == [] or not result.solution.status.has_solution
    for job, new_job in zip(problem.jobs, result.problem.jobs):
        split = sum(1 for j, _ in result.interrupted if j == job.id)
        assert len(new_job.operations) == len(job.operations) + split


@st.composite
def cyclic_afters(draw):
    """A DAG with one back edge added: from a node to one of its ancestors (or itself)."""
    after = [list(row) for row in draw(boms(max_ops=8))]
    b = draw(st.integers(0, len(after) - 1))
    # b waits (transitively) for each of its ancestors: making one of them (or b) wait for b closes a cycle
    a = draw(st.sampled_from(sorted(_ancestors(after, b) | {b})))
    if b not in after[a]:
        after[a].append(b)
    return [tuple(r) for r in after]


def _ancestors(after, k):
    out, stack = set(), list(after[k])
    while stack:
        p = stack.pop()
        if p not in out:
            out.add(p)
            stack.extend(after[p])
    return out


@settings(max_examples=200, deadline=None)
@given(cyclic_afters())
def test_random_cyclic_precedence_is_refused(after):
    with pytest.raises(ValueError, match="form a cycle|cannot come after itself"):
        Job("J", 1, [Operation("mill")] * len(after), due=10, after=after)
