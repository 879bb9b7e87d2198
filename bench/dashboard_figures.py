"""What the dashboards' answers cost: per persona of the demo world, the wall time of the
whole dashboard query (`market.portal.dashboards.for_actor`) and, in the same run, of the
lists it held before the figures (the baseline: for_actor with the figure query replaced by
a no-op), so the ratio is what the figures add.

    MARKET_VAR_DIR=/tmp/demo python bench/dashboard_figures.py [--runs 20]

Seeds the demo world first when the database is empty (`market seed-demo`).
"""
from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import time
from unittest import mock

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

FIGURES = {"factory": "market.portal.factory_figures.factory_figures", "buyer": "market.portal.buyer_figures.buyer_figures",
           "lender": "market.portal.lender_figures.lender_figures", "operator": "market.portal.operator_figures.operator_figures"}
LOGINS = {"factory": "factory1@demo.local", "buyer": "buyer1@demo.local", "lender": "lender@demo.local",
          "operator": "operator@demo.local"}


def p50_ms(fn, runs: int) -> float:
    fn()  # warm the caches once
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    from market import create_app
    from market.accounts.services import authenticate
    from market.demo import seed
    from market.demo.seed import PASSWORD
    from market.migrate import upgrade
    from market.portal import dashboards

    app = create_app()
    with app.app_context(), app.test_request_context():
        upgrade(app.config["DATABASE_URL"])
        if seed.is_empty():
            seed.seed_world()
        for kind, email in LOGINS.items():
            actor = authenticate(email, PASSWORD).actor
            full = p50_ms(lambda: dashboards.for_actor(actor), args.runs)
            with mock.patch(FIGURES[kind], lambda *a, **k: None):
                base = p50_ms(lambda: dashboards.for_actor(actor), args.runs)
            print(f"{kind:9s} dashboard p50 {full:7.1f} ms  without figures {base:7.1f} ms  ratio {full / base:5.2f}")


if __name__ == "__main__":
    main()
