"""Telemetry batch ingest: readings/s through the real ingest path (per-reading validation,
COPY into a staging table + INSERT ... ON CONFLICT DO NOTHING, recompute of the touched days,
alerts, ledger summaries) against a raw `COPY` of the same rows in the same run. Then the
same ingest on SQLite. Target: >= 50k readings/s into PostgreSQL.

    .venv/bin/python bench/telemetry_ingest.py [--database-url URL] [--machines 10] [--batches 3]

The PostgreSQL database is wiped (schema recreated): give it a scratch database.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from market import create_app, migrate  # noqa: E402
from market.accounts import services as accounts  # noqa: E402
from market.catalog import services as catalog  # noqa: E402
from market.telemetry import devices, ingest  # noqa: E402

BATCH = 10_000


def world(machines: int):
    actor = accounts.sign_up(email=f"bench-{time.time_ns()}@example.test", password="bench-password-1", name="B",
                             organization_name="Bench", kind="factory").actor
    factory = catalog.create_factory(actor, {"name": "Bench Works", "address": "x", "latitude": 31.3, "longitude": 120.6,
                                             "region": "Suzhou", "certifications": []})
    out = []
    for i in range(machines):
        m = catalog.create_machine(actor, {"factory_id": factory.public_id, "name": f"M{i}", "processes": ["cnc_milling_3ax"]})
        _, token = devices.enroll(actor, m.public_id, "bench")
        out.append(devices.authenticate(token))
    return out


def batches(devs, n_batches: int):
    """Per machine, n_batches x 10k readings 2 s apart, ending now: counters on each, a state
    change every 50th reading, signals; as the JSON a device would send (already parsed)."""
    end = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=1)
    span = timedelta(seconds=2 * BATCH * n_batches)
    states = ("running", "running", "idle", "running", "setup", "running", "down")
    out = []
    for dev in devs:
        start = end - span
        for b in range(n_batches):
            rows = []
            for i in range(BATCH):
                k = b * BATCH + i
                r = {"ts": (start + timedelta(seconds=2 * k)).isoformat(), "total": k // 3, "good": k // 3 - k // 100,
                     "spindle_load": 40.0 + k % 50, "temperature": 30.5}
                if k % 50 == 0:
                    r["state"] = states[(k // 50) % len(states)]
                rows.append(r)
            out.append((dev, rows))
    return out


def run_ingest(app, work) -> tuple[float, int]:
    with app.app_context():
        t0 = time.perf_counter()
        stored = sum(ingest.ingest(dev, rows).stored for dev, rows in work)
        return time.perf_counter() - t0, stored


def raw_copy(url: str, work) -> float:
    """The ceiling: the same rows (already typed) COPYed into a bare table of the same shape."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_copy"))
        conn.execute(text("CREATE TABLE bench_copy (LIKE telemetry_readings INCLUDING ALL)"))
    rows = [(dev.machine_id, datetime.fromisoformat(r["ts"]), r.get("state"), None, r["total"], r["good"],
             r["spindle_load"], r["temperature"], None, dev.device_id) for dev, batch in work for r in batch]
    raw = engine.raw_connection()
    try:
        cur = raw.driver_connection.cursor()
        t0 = time.perf_counter()
        with cur.copy("COPY bench_copy (machine_id, ts, state, reason, total, good, spindle_load, temperature, power_kw, "
                      "device_id) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        raw.driver_connection.commit()
        elapsed = time.perf_counter() - t0
        cur.execute("DROP TABLE bench_copy")
        raw.driver_connection.commit()
    finally:
        raw.close()
        engine.dispose()
    return elapsed


def bench(url: str, machines: int, n_batches: int, var: str) -> tuple[float, int, list]:
    if url.startswith("postgresql"):
        migrate.recreate_postgres_schema(url)
    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "VAR_DIR": var, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        devs = world(machines)
    work = batches(devs, n_batches)
    elapsed, stored = run_ingest(app, work)
    replay, _ = run_ingest(app, work[:1])
    app.extensions["db"].dispose()
    return elapsed, stored, work, replay


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test_telemetry"))
    parser.add_argument("--machines", type=int, default=10)
    parser.add_argument("--batches", type=int, default=3)
    args = parser.parse_args()
    var = tempfile.mkdtemp(prefix="bench-telemetry-")
    elapsed, stored, work, replay = bench(args.database_url, args.machines, args.batches, var)
    n = sum(len(rows) for _, rows in work)
    copy_s = raw_copy(args.database_url, work)
    print(f"PostgreSQL ingest: {n} readings in {elapsed:.2f} s = {n / elapsed:,.0f} readings/s "
          f"(stored {stored}; 10k-batch replay {BATCH / replay:,.0f} readings/s)")
    print(f"PostgreSQL raw COPY of the same rows: {n / copy_s:,.0f} readings/s; ingest = {copy_s / elapsed:.2f} x raw COPY")
    sqlite = f"sqlite:///{Path(var) / 'bench.db'}"
    s_elapsed, s_stored, s_work, _ = bench(sqlite, args.machines, args.batches, var)
    s_n = sum(len(rows) for _, rows in s_work)
    print(f"SQLite ingest: {s_n} readings in {s_elapsed:.2f} s = {s_n / s_elapsed:,.0f} readings/s "
          f"({s_elapsed / elapsed:.2f} x the PostgreSQL time)")
    print(f"target >= 50,000 readings/s into PostgreSQL: {'met' if n / elapsed >= 50_000 else 'NOT met'}")


if __name__ == "__main__":
    main()
