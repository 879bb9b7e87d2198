"""Evidence operations on OEE days: a planned day that never ran is OEE 0 (ISO 22400:
availability 0), not a division by zero; a day without planned time is refused."""
import pytest

from ledger.evidence import EvidenceError, compute

OEE = {"num": ["run_s", "ideal_work_ms", "good"], "den": ["planned_s", "ideal_run_s", "total"], "scale": 1000,
       "positive": ["planned_s"]}


def day(planned_s, run_s, total, good, ideal_work_ms, ideal_run_s=None):
    return {"planned_s": planned_s, "run_s": run_s, "total": total, "good": good, "ideal_work_ms": ideal_work_ms,
            "ideal_run_s": run_s if ideal_run_s is None else ideal_run_s}


def test_a_running_day_is_availability_times_performance_times_quality():
    # 8 h planned, 6 h run, 600 parts at 30 s (5 h ideal), 570 good: 0.75 × 0.8333 × 0.95
    assert compute("mean", [day(28800, 21600, 600, 570, 600 * 30000)], OEE) == "0.5938"


def test_a_planned_day_that_never_ran_counts_as_zero_in_the_mean():
    days = [day(28800, 21600, 600, 570, 600 * 30000), day(28800, 0, 0, 0, 0)]
    assert compute("mean", days, OEE) == "0.2969"
    assert compute("stdev", days, OEE) == "0.2969"


def test_a_day_without_planned_time_is_refused():
    with pytest.raises(EvidenceError, match="planned_s is 0, must be positive"):
        compute("mean", [day(0, 0, 0, 0, 0)], OEE)
