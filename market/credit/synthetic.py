"""The training data we generate: factories with latent health and a default-generating
process (docs/credit.md explains each line). Pure numpy; the same seed gives the same rows.

Four latent traits drive everything: operational quality `q` (how well the shop runs),
delivery discipline `d` (planning; late work is paid late and draws penalties), machine
condition `m` (worn machines break down and need capital) and
financial stress `z` (thin margins, debt), `z` mildly anti-correlated with `q`; a shared cluster shock
`c` stands for a regional / industry cycle. What a lender can observe (the features) are
noisy views of them; whether a factory defaults within 12 months depends on the latents,
not on the features, so the scorecard has to infer health from evidence, as in life.
"""
from __future__ import annotations

import numpy as np

from market.credit.featureset import NAMES

SOURCE = "synthetic-v1"


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def generate(n: int, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """`n` factories: (feature columns with NaN for missing, default flags 0/1)."""
    rng = np.random.default_rng(seed)
    q = rng.normal(size=n)
    d = rng.normal(size=n)  # delivery discipline: late work means late payment and penalties
    m = rng.normal(size=n)  # machine condition: worn equipment breaks down and needs capital
    z = -0.3 * q + np.sqrt(1 - 0.09) * rng.normal(size=n)
    cluster = rng.integers(0, 24, size=n)
    c = rng.normal(scale=0.5, size=24)[cluster]
    tenure = np.clip(rng.lognormal(mean=3.0, sigma=0.8, size=n), 1, 180)
    young = tenure < 12

    oee_mean = np.clip(0.58 + 0.06 * q + 0.05 * m - 0.02 * z + rng.normal(0, 0.05, n), 0.05, 0.95)
    oee_trend = -0.008 * z + 0.01 * c + rng.normal(0, 0.01, n)
    oee_vol = np.clip(0.10 - 0.025 * q + 0.015 * z + rng.normal(0, 0.02, n), 0.01, 0.5)
    utilization = _sigmoid(0.2 + 0.5 * q - 0.4 * z + 0.8 * c + rng.normal(0, 0.5, n))
    downtime = np.clip(0.05 - 0.02 * m + 0.005 * z + rng.normal(0, 0.02, n), 0.0, 0.6)
    mttr = rng.lognormal(mean=2.0 - 0.3 * m, sigma=0.5, size=n)

    # order flow over 180 days grows with utilization and tenure
    deliveries = rng.poisson(2 + 25 * utilization * np.minimum(tenure, 24) / 24)
    has = deliveries > 0
    on_time = rng.binomial(deliveries, _sigmoid(1.8 + 0.4 * q + 1.0 * d - 0.3 * z)) / np.maximum(deliveries, 1)
    late = deliveries - np.round(on_time * deliveries)
    lateness = np.where(late > 0, rng.exponential(1.5 + 1.5 * np.maximum(0, -d)) * late / np.maximum(deliveries, 1), 0.0)
    qc = rng.binomial(deliveries, _sigmoid(3.0 + 0.6 * q + 0.4 * d)) / np.maximum(deliveries, 1)
    disputes = rng.binomial(deliveries, _sigmoid(-3.5 - 0.3 * q - 0.5 * d + 0.4 * z)) / np.maximum(deliveries, 1)
    cancels = rng.binomial(deliveries, _sigmoid(-3.2 - 0.3 * q + 0.6 * z)) / np.maximum(deliveries, 1)
    revenue_yuan = np.exp(10.5 + 0.9 * np.log1p(deliveries) + 0.3 * q + rng.normal(0, 0.4, n))
    growth = np.clip(-0.12 * z + 0.25 * c + rng.normal(0, 0.2, n), -0.95, 3.0)
    buyers = 1 + rng.poisson(0.35 * deliveries)
    concentration = np.clip(1 / np.sqrt(buyers) + rng.normal(0, 0.08, n), 1 / buyers, 1.0)
    financed = rng.random(n) < 0.35
    repayments = rng.integers(3, 13, size=n)
    late_share = rng.binomial(repayments, _sigmoid(-2.6 + 1.3 * z - 0.4 * q)) / repayments

    # defaults within 12 months: stress, poor operations, late deliveries, worn machines, a bad cycle, youth
    logit = -3.5 + 1.0 * z - 0.5 * q - 0.6 * d - 0.4 * m - 0.7 * c + 0.4 * young + rng.normal(0, 0.3, n)
    default = (rng.random(n) < _sigmoid(logit)).astype(int)

    nan = np.nan
    columns = {
        "oee_mean_90d": oee_mean, "oee_trend_180d": oee_trend, "oee_volatility_90d": oee_vol,
        "utilization_90d": utilization, "downtime_share_90d": downtime, "mttr_hours_90d": mttr,
        "on_time_rate_180d": np.where(has, on_time, nan), "avg_lateness_days_180d": np.where(has, lateness, nan),
        "qc_pass_rate_180d": np.where(has, qc, nan), "dispute_rate_180d": np.where(has, disputes, nan),
        "cancellation_rate_180d": np.where(has, cancels, nan),
        "revenue_log10_180d": np.where(has, np.log10(revenue_yuan), nan),
        "revenue_growth_90d": np.where(has & (tenure >= 6), growth, nan),
        "customer_concentration_180d": np.where(has, concentration, nan),
        "tenure_months": tenure, "repayment_late_share": np.where(financed, late_share, nan),
    }
    assert tuple(columns) == NAMES
    return columns, default
