"""Small builders for scheduling tests (imported by the test modules)."""

from __future__ import annotations

from scheduling import Job, Leg, Machine, Operation, Problem, Site, Window

DAY = 24 * 60


def day_windows(days: int, price: int, mode: str = "per_hour", start_hour: int = 8, end_hour: int = 20,
                min_lot: int = 1) -> list[Window]:
    return [Window(d * DAY + start_hour * 60, d * DAY + end_hour * 60, mode, price, min_lot) for d in range(days)]


def three_site_world(*, jobs: list[Job], days: int = 5) -> Problem:
    """Machining at A (cheap at B too), coating only at B, assembly only at C."""
    sites = [Site("A", 0.9), Site("B", 0.95), Site("C", 0.8)]
    machines = [
        Machine("A-mill", "A", {"mill"}, day_windows(days, 12_000)),
        Machine("B-mill", "B", {"mill"}, day_windows(days, 6_000)),
        Machine("B-coat", "B", {"coat"}, day_windows(days, 5_000)),
        Machine("C-asm", "C", {"assemble"}, day_windows(days, 2, "per_piece")),
    ]
    transport = {("A", "B"): Leg(60, 2_000), ("A", "C"): Leg(240, 9_000), ("B", "C"): Leg(180, 7_000)}
    return Problem(sites, machines, jobs, transport)


def bracket_job(job_id: str = "J1", *, quantity: int = 40, due: int = 3 * DAY, release: int = 0) -> Job:
    return Job(job_id, quantity, [Operation("mill", 30, "1.5", name="mill"), Operation("coat", 20, 1, name="coat"),
                                  Operation("assemble", 10, "0.5", name="assemble")],
               due=due, release=release, value=500_000)
