"""Taillard's 1993 job-shop instance generator.

E. Taillard, "Benchmarks for basic scheduling problems", EJOR 64 (1993) 278-285.
A Lehmer generator (a=16807, m=2^31-1, Schrage's decomposition b=127773, c=2836)
draws the processing times job-major from U[1, 99] with ``time_seed``; then, for each
job, the machine order starts as the identity and position ``i`` is swapped with
position ``unif(machine_seed, i, m)``.  Machines are returned 0-based.
"""

from __future__ import annotations

from dataclasses import dataclass

_A = 16807
_B = 127773
_C = 2836
_M = 2**31 - 1


class _Lehmer:
    """The portable generator of the paper; ``seed`` changes on every draw."""

    def __init__(self, seed: int) -> None:
        if not 0 < seed < _M:
            raise ValueError(f"seed {seed} must be in (0, {_M})")
        self.seed = seed

    def unif(self, low: int, high: int) -> int:
        k = self.seed // _B
        self.seed = _A * (self.seed % _B) - k * _C
        if self.seed < 0:
            self.seed += _M
        value_0_1 = self.seed / _M
        return low + int(value_0_1 * (high - low + 1))


@dataclass(frozen=True)
class JobShopInstance:
    """A classical job-shop: ``jobs[j]`` is the ordered list of (machine, duration)."""

    num_machines: int
    jobs: tuple[tuple[tuple[int, int], ...], ...]


def generate(num_jobs: int, num_machines: int, time_seed: int, machine_seed: int) -> JobShopInstance:
    """Generate Taillard's job-shop instance for the given seeds (0-based machines)."""
    if num_jobs < 1 or num_machines < 1:
        raise ValueError(f"need at least one job and one machine, got {num_jobs}x{num_machines}")
    times = _Lehmer(time_seed)
    durations = [[times.unif(1, 99) for _ in range(num_machines)] for _ in range(num_jobs)]
    machines = _Lehmer(machine_seed)
    jobs = []
    for j in range(num_jobs):
        order = list(range(1, num_machines + 1))
        for i in range(1, num_machines + 1):
            swap = machines.unif(i, num_machines)
            order[i - 1], order[swap - 1] = order[swap - 1], order[i - 1]
        jobs.append(tuple((order[i] - 1, durations[j][i]) for i in range(num_machines)))
    return JobShopInstance(num_machines=num_machines, jobs=tuple(jobs))
