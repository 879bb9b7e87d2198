"""Fit the scorecard: optimal monotonic binning (optbinning) → WoE → logistic regression
(scikit-learn) → points-to-double-odds scaling; measure AUC / Gini / KS on a held-out set.

Reproducible: the same data and seed give the same bins, points and version id. A feature
whose coefficient comes out with the wrong sign (collinearity) is dropped and the model
refitted, so every feature's points move in its documented direction (monotone scores).
"""
from __future__ import annotations

import csv
import hashlib
import importlib.util
import json
import logging

from dataclasses import dataclass
from pathlib import Path

from market.credit import synthetic
from market.credit.featureset import BY_NAME, FEATURES, NAMES
from market.credit.scorecard import Bin, FeatureCard, Scorecard

PDO, ODDS, BASE_POINTS = 20.0, 50.0, 600.0


@dataclass(frozen=True)
class Dataset:
    columns: dict  # feature -> numpy array (NaN = missing)
    default: object  # numpy int array
    source: str


def synthetic_dataset(n: int, seed: int) -> Dataset:
    columns, y = synthetic.generate(n, seed)
    return Dataset(columns, y, f"{synthetic.SOURCE} n={n} seed={seed}")


def csv_dataset(path: Path) -> Dataset:
    """A lender's labelled history: one row per borrower, feature columns (any subset of
    ours, blanks = missing) and `default` (0/1)."""
    import numpy as np

    raw = Path(path).read_bytes()
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    if not rows:
        raise ValueError(f"{path}: no rows")
    header = set(rows[0])
    if "default" not in header:
        raise ValueError(f"{path}: needs a 'default' column (0/1)")
    unknown = header - set(NAMES) - {"default"}
    if unknown:
        raise ValueError(f"{path}: unknown columns {sorted(unknown)}; known features: {', '.join(NAMES)}")
    columns = {}
    for name in NAMES:
        if name in header:
            columns[name] = np.array([float(r[name]) if r[name].strip() else np.nan for r in rows])
    y = np.array([int(r["default"]) for r in rows])
    if set(np.unique(y)) - {0, 1}:
        raise ValueError(f"{path}: 'default' must be 0 or 1")
    return Dataset(columns, y, f"csv sha256={hashlib.sha256(raw).hexdigest()[:16]} n={len(rows)}")


# The [train] extra: imported inside the functions, so the default install (without it) can
# import this module and say what is missing.
TRAIN_PACKAGES = {"numpy": "numpy", "pandas": "pandas", "optbinning": "optbinning", "sklearn": "scikit-learn"}


def missing_packages() -> list[str]:
    """The distributions of the [train] extra that cannot be imported here."""
    return [dist for module, dist in TRAIN_PACKAGES.items() if importlib.util.find_spec(module) is None]


def _quiet() -> None:
    # cvxpy (pulled in by optbinning) logs about optional solvers it cannot load
    logging.getLogger("__cvxpy__").setLevel(logging.ERROR)
    logging.getLogger("cvxpy").setLevel(logging.ERROR)


def _fit(df, y, names: list[str], seed: int):
    from optbinning import BinningProcess
    from optbinning import Scorecard as OptScorecard
    from sklearn.linear_model import LogisticRegression

    params = {n: {"monotonic_trend": BY_NAME[n].monotonic_trend, "max_n_bins": 5} for n in names}
    process = BinningProcess(names, binning_fit_params=params, min_bin_size=0.05)
    card = OptScorecard(binning_process=process, estimator=LogisticRegression(max_iter=2000, random_state=seed),
                        scaling_method="pdo_odds",
                        scaling_method_params={"pdo": PDO, "odds": ODDS, "scorecard_points": BASE_POINTS})
    card.fit(df[names], y)
    return card


def train(data: Dataset, *, seed: int, test_share: float = 0.3) -> Scorecard:
    _quiet()
    import numpy as np
    import optbinning
    import pandas as pd
    import sklearn
    from sklearn.metrics import roc_auc_score, roc_curve
    from sklearn.model_selection import train_test_split

    df = pd.DataFrame(data.columns)
    y = np.asarray(data.default)
    x_train, x_test, y_train, y_test = train_test_split(df, y, test_size=test_share, random_state=seed, stratify=y)
    names = [n for n in NAMES if n in df.columns]
    dropped = []
    while True:
        fitted = _fit(x_train, y_train, names, seed)
        coef = dict(zip(names, fitted.estimator_.coef_[0]))
        # WoE is log(good/bad): a feature must lower the default odds as its WoE grows
        wrong = [n for n in names if coef[n] >= 0]
        if not wrong:
            break
        worst = max(wrong, key=lambda n: coef[n])
        names.remove(worst)
        dropped.append(worst)

    p_test = fitted.predict_proba(x_test[names])[:, 1]
    auc = float(roc_auc_score(y_test, p_test))
    fpr, tpr, _ = roc_curve(y_test, p_test)
    metrics = {"auc": round(auc, 4), "gini": round(2 * auc - 1, 4), "ks": round(float(np.max(tpr - fpr)), 4),
               "n_train": int(len(y_train)), "n_test": int(len(y_test)),
               "default_rate": round(float(y.mean()), 4)}

    table = fitted.table(style="detailed")
    cards = []
    for name in names:
        rows = table[table["Variable"] == name]
        splits = list(fitted.binning_process_.get_binned_variable(name).splits)
        numbered = rows[~rows["Bin"].isin(["Special", "Missing"])]
        bins = []
        for i, (_, r) in enumerate(numbered.iterrows()):
            upper = float(splits[i]) if i < len(splits) else None
            bins.append(Bin(upper=upper, points=round(float(r["Points"]), 4), woe=round(float(r["WoE"]), 6),
                            event_rate=round(float(r["Event rate"]), 6), count=int(r["Count"])))
        missing = rows[rows["Bin"] == "Missing"].iloc[0]
        cards.append(FeatureCard(name, round(float(coef[name]), 6), tuple(bins), round(float(missing["Points"]), 4)))

    trained = {"source": data.source, "seed": seed, "test_share": test_share, "dropped_wrong_sign": dropped,
               "optbinning": optbinning.__version__, "scikit_learn": sklearn.__version__}
    body = Scorecard("", PDO, ODDS, BASE_POINTS, tuple(cards), metrics, trained).to_dict()
    body.pop("version")
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]
    return Scorecard(f"sc-{digest}", PDO, ODDS, BASE_POINTS, tuple(cards), metrics, trained)


def describe(card: Scorecard) -> str:
    m = card.metrics
    used = ", ".join(f.name for f in card.features)
    return (f"{card.version}: AUC {m['auc']:.3f}  Gini {m['gini']:.3f}  KS {m['ks']:.3f} on {m['n_test']} held-out rows "
            f"(default rate {m['default_rate']:.1%}); features: {used}")

