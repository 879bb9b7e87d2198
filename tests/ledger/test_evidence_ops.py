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



def _claim_days(first=None, every=None):
    base = {"insured": "m1", "from": "2026-03-01", "until": "2026-06-01", "rate": 50_000, "deductible": 2,
            "limit": 10**9, "total": 5 * 3600 + 3 * 3600, "indemnity": 300_000, **(every or {})}
    return [{**base, "day": "2026-03-03", "machine": "m1", "down": 6 * 3600, "claimed": 5 * 3600, **(first or {})},
            {**base, "day": "2026-03-04", "machine": "m1", "down": 3 * 3600, "claimed": 3 * 3600}]


def test_a_downtime_claim_pays_the_hours_past_the_deductible_up_to_the_limit():
    from ledger.evidence import downtime_indemnity

    assert compute("downtime_claim", _claim_days()) == "300000.0000"  # (8 h - 2 h) x 500.00
    assert compute("downtime_claim", _claim_days(every={"limit": 123, "indemnity": 123})) == "123.0000"
    assert downtime_indemnity(rate=50_000, deductible_hours=2, limit=10**9, seconds=3600) == 0  # under the deductible
    assert downtime_indemnity(rate=3, deductible_hours=0, limit=10**9, seconds=1800) == 2  # 1.5 -> 2, half-even
    assert downtime_indemnity(rate=1, deductible_hours=0, limit=10**9, seconds=1800) == 0  # 0.5 -> 0
    assert downtime_indemnity(rate=10**13, deductible_hours=0, limit=10**13, seconds=31 * 86400) == 10**13


@pytest.mark.parametrize("first, every, said", [
    ({"claimed": 6 * 3600 + 1}, None, "claimed but the committed summary has 21600 s down"),
    ({"machine": "m2"}, None, "not of the insured machine"),
    ({"day": "2026-02-28"}, None, "outside the policy term"),
    ({"day": "2026-03-04"}, None, "counted twice"),
    (None, {"indemnity": 300_001}, "the committed downtime gives 300000"),
    (None, {"total": 1}, "its days add up to 28800"),
    ({"rate": 1}, None, "records disagree on 'rate'"),
])
def test_a_downtime_claim_that_does_not_hold_is_refused(first, every, said):
    with pytest.raises(EvidenceError) as refused:
        compute("downtime_claim", _claim_days(first, every))
    assert said in str(refused.value), refused.value
