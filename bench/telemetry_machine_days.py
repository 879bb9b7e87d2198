"""Cost of committing each machine's day on the ledger (telemetry.machine_day_summary, which
lease rent is proved from): load_history (bulk readings, rollup, summaries) of a factory with
5 machines over 60 days, with machine-day summaries and without (the baseline: the machine-day
part of rollup.summarize switched off), alternating, in the same run, on fresh SQLite files.
Prints seconds, ledger entries and the ratio to the baseline.

    python bench/telemetry_machine_days.py [--rounds 2]
"""
import os, sys, time
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from datetime import datetime, timezone
from tests.conftest import make_tenant, FACTORY
from market import create_app, migrate

END = datetime(2026, 6, 2, 4, tzinfo=timezone.utc)

def run(label, patch):
    path = f"/tmp/leasing_bench_{label}.db"
    if os.path.exists(path): os.remove(path)
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x", "VAR_DIR": "/tmp/leasing_bench_var", "LOG_LEVEL": "WARNING"})
    from market.telemetry import rollup
    orig = rollup._pending
    if patch:
        calls = {"n": 0}
        def only_factory(rows, body_of, event_of):
            calls["n"] += 1
            return orig(rows, body_of, event_of) if calls["n"] % 2 == 1 else []
        rollup._pending = only_factory
    try:
        with app.app_context():
            owner = make_tenant("factory")
            c = app.test_client(); h = {"Authorization": f"Bearer {owner.token}"}
            f = c.post("/api/v1/factories", json=FACTORY, headers=h).get_json()
            ids = []
            for i in range(5):
                c.post("/api/v1/machines", json={"factory_id": f["id"], "name": f"M{i}", "processes": ["cnc_milling_3ax"]}, headers=h)
            from market.catalog.models import Machine
            from market.db import unit_of_work
            from sqlalchemy import select
            with unit_of_work() as s:
                ids = list(s.scalars(select(Machine.id)))
            from market.telemetry.simulation import load_history
            from market.journal.ledger import get_ledger
            t = time.perf_counter()
            n = load_history(ids, days=60, end=END)
            dt = time.perf_counter() - t
            with unit_of_work() as s:
                size = get_ledger().store.size(s.connection())
        return dt, n, size
    finally:
        rollup._pending = orig

if __name__ == "__main__":
    import argparse
    import statistics

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    rounds = parser.parse_args().rounds
    times = {"baseline": [], "machine_days": []}
    for r in range(rounds):
        for label, patch in (("baseline", True), ("machine_days", False)):
            dt, n, size = run(label, patch)
            times[label].append(dt)
            print(f"round {r} {label:13s} {dt:7.2f} s  readings={n}  ledger entries={size}")
    base, new = statistics.median(times["baseline"]), statistics.median(times["machine_days"])
    print(f"median: baseline {base:.2f} s, with machine days {new:.2f} s, ratio {new / base:.2f}")
