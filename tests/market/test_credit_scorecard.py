"""The scorecard: reproducible training with held-out discrimination, and scores that move
the right way (a better on-time rate never lowers the score, all else equal)."""
import math

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from market.credit import scorecard, training
from market.credit.cli import credit_group
from market.credit.featureset import FEATURES, NAMES


def test_training_is_reproducible_and_discriminates_on_held_out_rows():
    a = training.train(training.synthetic_dataset(3000, 11), seed=11)
    b = training.train(training.synthetic_dataset(3000, 11), seed=11)
    assert a.version == b.version and a.to_dict() == b.to_dict()
    assert a.metrics["auc"] > 0.7 and math.isclose(a.metrics["gini"], 2 * a.metrics["auc"] - 1, abs_tol=1e-3)
    assert 0.2 < a.metrics["ks"] < 1 and a.metrics["n_test"] == 900
    assert training.train(training.synthetic_dataset(3000, 12), seed=12).version != a.version


def test_every_feature_points_move_in_its_documented_direction():
    card = scorecard.load()
    for f in card.features:
        points = [b.points for b in f.bins]
        better = next(s for s in FEATURES if s.name == f.name).higher_is_better
        assert points == sorted(points, reverse=not better), f.name


def test_the_shipped_scorecard_is_the_one_the_cli_trains_with_seed_7(tmp_path):
    shipped = scorecard.load()
    assert shipped.trained["seed"] == 7 and "on_time_rate_180d" in [f.name for f in shipped.features]
    retrained = training.train(training.synthetic_dataset(8000, 7), seed=7)
    assert retrained.version == shipped.version


def test_a_lender_csv_trains_a_scorecard(tmp_path):
    columns, y = training.synthetic.generate(1500, 5)
    lines = [",".join([*NAMES, "default"])]
    for i in range(len(y)):
        lines.append(",".join(["" if math.isnan(columns[n][i]) else f"{columns[n][i]:.6f}" for n in NAMES] + [str(y[i])]))
    path = tmp_path / "lender.csv"
    path.write_text("\n".join(lines))
    card = training.train(training.csv_dataset(path), seed=5)
    assert card.trained["source"].startswith("csv sha256=") and card.metrics["n_train"] == 1050


values = st.one_of(st.none(), st.floats(min_value=-2, max_value=200, allow_nan=False))
ratio = st.floats(min_value=0, max_value=1, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({n: values for n in NAMES}), ratio, ratio)
def test_a_better_on_time_rate_never_lowers_the_score(others, low, high):
    card = scorecard.load()
    low, high = sorted((low, high))
    worse = card.score({**others, "on_time_rate_180d": low})
    better = card.score({**others, "on_time_rate_180d": high})
    assert better.score >= worse.score
    assert better.pd <= worse.pd + 1e-12


def test_grades_follow_the_probability_of_default():
    card = scorecard.load()
    pds = [card.pd_of(s) for s in range(400, 800, 20)]
    assert pds == sorted(pds, reverse=True)
    assert scorecard.grade_of(0.001) == "AAA" and scorecard.grade_of(0.5) == "C"


def test_training_without_the_train_extra_says_which_extra_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(training, "missing_packages", lambda: ["optbinning", "scikit-learn"])
    result = CliRunner().invoke(credit_group, ["train", "--out", str(tmp_path)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)  # a message, no traceback
    assert "install the 'train' extra: pip install -e '.[train]'" in result.output
    assert "optbinning, scikit-learn" in result.output and "Traceback" not in result.output
    assert not list(tmp_path.iterdir())


def test_the_train_extra_is_installed_for_the_suite():
    assert training.missing_packages() == []
