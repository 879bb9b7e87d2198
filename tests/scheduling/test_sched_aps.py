"""Use 3 — factory schedule (APS) and rescheduling after a breakdown."""

from scheduling import (Job, Machine, Operation, Problem, Site, SolverParams, Status, Window, check, reschedule,
                        schedule_shop)

PARAMS = SolverParams(time_limit_s=10, workers=1, seed=0)
SHIFTS = [Window(d * 1440 + 480, d * 1440 + 1200) for d in range(5)]  # 08:00-20:00, five days


def shop(jobs) -> Problem:
    machines = [Machine("M1", "F", {"mill"}, SHIFTS), Machine("M2", "F", {"mill"}, SHIFTS),
                Machine("C1", "F", {"coat"}, SHIFTS)]
    return Problem([Site("F")], machines, jobs)


def three_jobs():
    return [Job(f"J{i}", 10, [Operation("mill", 20, 6, splittable=True, name="mill"), Operation("coat", 10, 3, name="coat")],
                due=1200 + 600 * i, weight=1 + i) for i in range(3)]


def test_the_heavier_job_is_on_time_when_only_one_can_be():
    machines = [Machine("M", "F", {"mill"}, [Window(0, 1000)])]
    jobs = [Job("light", 1, [Operation("mill", 100)], due=100, weight=1),
            Job("heavy", 1, [Operation("mill", 100)], due=100, weight=5)]
    solution = schedule_shop(Problem([Site("F")], machines, jobs), params=PARAMS)
    assert solution.status is Status.OPTIMAL
    assert solution.job("heavy").tardiness == 0 and solution.job("light").tardiness == 100
    assert solution.objective == 100 * (1000 + 1) + 200  # tardiness dominates, then makespan


def test_makespan_is_minimised_once_nothing_is_late():
    solution = schedule_shop(shop(three_jobs()), params=PARAMS)
    assert solution.status is Status.OPTIMAL
    assert all(j.tardiness == 0 for j in solution.jobs)
    assert check(shop(three_jobs()), solution, require_all=True) == []
    # three 80-minute mills on two machines, then 40-minute coats in series on one coater
    assert solution.makespan == 480 + 80 + 40 + 40 + 40


def test_impossible_hard_due_date_is_an_infeasible_status_not_an_exception():
    machines = [Machine("M", "F", {"mill"}, [Window(0, 1000)])]
    jobs = [Job("J", 1, [Operation("mill", 100)], due=50, hard_due=True)]
    solution = schedule_shop(Problem([Site("F")], machines, jobs), params=PARAMS)
    assert solution.status is Status.INFEASIBLE
    assert solution.assignments == ()


def test_reschedule_keeps_started_operations_frozen_and_moves_work_off_the_down_machine():
    problem = shop(three_jobs())
    before = schedule_shop(problem, params=PARAMS)
    running = next(a for a in before.assignments if a.machine_id == "M1" and a.op_index == 0)
    now = running.start + 30
    result = reschedule(problem, before, now, down_machines=["M1"], params=PARAMS)
    after = result.solution
    assert after.status is Status.OPTIMAL
    assert check(result.problem, after, require_all=True) == []
    # the operation running on M1 is interrupted: done part frozen, remainder moved to M2
    assert result.interrupted == ((running.job_id, 0),)
    done, remainder = after.assignment(running.job_id, 0), after.assignment(running.job_id, 1)
    assert (done.machine_id, done.start, done.end) == ("M1", running.start, now)
    assert remainder.machine_id == "M2" and remainder.start >= now
    assert result.problem.job(running.job_id).operations[1].name == "mill (remainder)"
    # nothing runs on M1 after now
    assert all(a.end <= now for a in after.assignments if a.machine_id == "M1")
    # every other operation that had started keeps its machine and start
    for a in before.assignments:
        if a.start < now and a.machine_id != "M1":
            moved = after.assignment(a.job_id, a.op_index + (1 if a.job_id == running.job_id and a.op_index > 0 else 0))
            assert (moved.machine_id, moved.start, moved.end) == (a.machine_id, a.start, a.end)
    # not-started work does not start in the past
    started_keys = {(a.job_id, a.op_index) for a in before.assignments if a.start < now}
    for a in after.assignments:
        if a.start < now:
            assert a.machine_id != "M1" or a.end <= now
    assert len(result.diff) == 3 and all(c.new_completion is not None for c in result.diff)
    assert any(c.delay and c.delay > 0 for c in result.diff)
    assert started_keys


def test_reschedule_without_breakdown_keeps_the_started_plan():
    problem = shop(three_jobs())
    before = schedule_shop(problem, params=PARAMS)
    now = min(a.start for a in before.assignments) + 10
    result = reschedule(problem, before, now, params=PARAMS)
    assert result.interrupted == ()
    for a in before.assignments:
        if a.start < now:
            assert result.solution.assignment(a.job_id, a.op_index) == a
    assert all(a.start >= now for a in result.solution.assignments if before.assignment(a.job_id, a.op_index).start >= now)
    assert check(result.problem, result.solution, require_all=True) == []


def test_machine_down_until_a_time_offers_capacity_again_afterwards():
    problem = shop(three_jobs())
    before = schedule_shop(problem, params=PARAMS)
    result = reschedule(problem, before, 0, down_machines={"M1": 1440 + 480, "M2": None}, params=PARAMS)
    assert result.solution.status is Status.OPTIMAL
    mills = [a for a in result.solution.assignments if a.op_index == 0]
    assert all(a.machine_id == "M1" and a.start >= 1440 + 480 for a in mills)
