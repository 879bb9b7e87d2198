"""Solver parameters shared by every use of the engine."""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model


@dataclass(frozen=True)
class SolverParams:
    """Time limit, parallelism and seed.  One worker + fixed seed is deterministic."""

    time_limit_s: float = 10.0
    workers: int = 1
    seed: int = 0
    log: bool = False

    def __post_init__(self) -> None:
        if not self.time_limit_s > 0:
            raise ValueError(f"time_limit_s must be > 0, got {self.time_limit_s}")
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {self.workers}")

    def make_solver(self) -> cp_model.CpSolver:
        solver = cp_model.CpSolver()
        p = solver.parameters
        p.max_time_in_seconds = float(self.time_limit_s)
        p.num_workers = int(self.workers)
        p.random_seed = int(self.seed)
        p.log_search_progress = bool(self.log)
        if self.workers == 1:
            # Reproducible single-thread search (deterministic with a fixed seed).
            p.interleave_search = False
        return solver
