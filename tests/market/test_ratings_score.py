"""The supplier quality rule (market/credit/quality_score.py): Bayesian averages around a prior,
so a newcomer is neither sunk by one bad rating nor made by one good one; known answers; bounds;
refused evidence."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.catalog.quality import UNSCORED_PERMILLE
from market.credit.quality_score import WEIGHTS, Evidence, average_stars, parts, permille, score


def test_a_factory_without_evidence_scores_what_catalog_assumes_for_an_unscored_one():
    assert permille(Evidence()) == UNSCORED_PERMILLE
    # the prior's parts: 3.5 stars, 80 % on time, 90 % QC pass, 90 % undisputed, no tenure
    assert score(Evidence()) == pytest.approx(0.35 * 0.625 + 0.25 * 0.8 + 0.20 * 0.9 + 0.15 * 0.9)


def test_the_weights_add_up_to_one():
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)


def test_one_one_star_rating_does_not_sink_a_newcomer_but_ten_do():
    newcomer = score(Evidence())
    one = score(Evidence(ratings=1, stars_total=1))
    ten = score(Evidence(ratings=10, stars_total=10))
    assert newcomer - one == pytest.approx(0.35 * (0.625 - ((1 + 3.5 * 5) / 6 - 1) / 4))  # about 0.037
    assert newcomer - one < 0.05
    assert newcomer - ten > 0.12
    assert average_stars(Evidence(ratings=1, stars_total=1)) == pytest.approx(18.5 / 6)


def test_one_five_star_rating_lifts_a_newcomer_only_a_little():
    assert 0 < score(Evidence(ratings=1, stars_total=5)) - score(Evidence()) < 0.03


def test_a_proven_supplier_beats_a_newcomer_and_a_late_disputed_one_falls_below_it():
    proven = Evidence(deliveries=40, on_time=39, qc_checks=40, qc_passed=40, tenure_months=30, ratings=20,
                      stars_total=95)
    troubled = Evidence(deliveries=40, on_time=20, qc_checks=40, qc_passed=30, disputes=8, tenure_months=30,
                        ratings=20, stars_total=40)
    assert score(proven) > 0.9 > score(Evidence()) > score(troubled)


def test_tenure_counts_up_to_two_years():
    assert parts(Evidence(tenure_months=12))["tenure"] == 0.5
    assert parts(Evidence(tenure_months=24))["tenure"] == parts(Evidence(tenure_months=120))["tenure"] == 1.0


def test_more_disputes_than_deliveries_counts_as_none_undisputed_not_below_zero():
    assert parts(Evidence(deliveries=1, on_time=1, disputes=3))["undisputed"] == pytest.approx(4.5 / 8)


@pytest.mark.parametrize("bad, message", [
    (dict(deliveries=1, on_time=2), "on_time 2 exceeds deliveries 1"),
    (dict(qc_checks=1, qc_passed=2), "qc_passed 2 exceeds qc_checks 1"),
    (dict(ratings=2, stars_total=11), "stars_total 11"),
    (dict(ratings=2, stars_total=1), "stars_total 1"),
    (dict(disputes=-1), "disputes -1"),
])
def test_impossible_evidence_is_refused_with_the_numbers(bad, message):
    with pytest.raises(ValueError, match=message):
        Evidence(**bad)


@st.composite
def evidence(draw):
    deliveries = draw(st.integers(0, 500))
    qc = draw(st.integers(0, 500))
    ratings = draw(st.integers(0, 300))
    return Evidence(deliveries=deliveries, on_time=draw(st.integers(0, deliveries)), qc_checks=qc,
                    qc_passed=draw(st.integers(0, qc)), disputes=draw(st.integers(0, 600)),
                    tenure_months=draw(st.integers(0, 400)), ratings=ratings,
                    stars_total=draw(st.integers(ratings, 5 * ratings)))


@given(evidence())
def test_every_score_lies_in_zero_one_and_one_more_good_rating_never_lowers_it(e):
    assert 0.0 <= score(e) <= 1.0
    better = Evidence(**{**e.__dict__, "ratings": e.ratings + 1, "stars_total": e.stars_total + 5})
    worse = Evidence(**{**e.__dict__, "ratings": e.ratings + 1, "stars_total": e.stars_total + 1})
    assert score(worse) <= score(e) <= score(better)
