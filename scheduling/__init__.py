"""Matching and scheduling engine on OR-Tools CP-SAT (pure: no Flask, no database).

Problem data in (:mod:`scheduling.data`), solution out (:mod:`scheduling.result`).
Three uses of one model: :func:`quote`, :func:`batch_match`, :func:`schedule_shop` /
:func:`reschedule`.  See docs/scheduling.md.
"""

from .aps import JobChange, Rescheduled, reschedule, schedule_shop
from .batch import batch_match
from .candidates import CandidateOptions, Frozen
from .check import check
from .data import Busy, Job, Leg, Machine, Operation, PricingMode, Problem, Site, Window
from .greedy import edd_dispatch
from .objective import Weights
from .params import SolverParams
from .quote import Alternative, quote
from .result import Assignment, Cost, JobOutcome, Solution
from .solve import solve
from .status import Status

__all__ = [
    "Alternative", "Assignment", "Busy", "CandidateOptions", "Cost", "Frozen", "Job", "JobChange",
    "JobOutcome", "Leg", "Machine", "Operation", "PricingMode", "Problem", "Rescheduled", "Site",
    "Solution", "SolverParams", "Status", "Weights", "Window", "batch_match", "check", "edd_dispatch",
    "quote", "reschedule", "schedule_shop", "solve",
]
