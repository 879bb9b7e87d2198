"""OEE of one factory over 90 days through the API (GET /api/v1/factories/{id}/oee, daily and
weekly), p50/p99 over repeated requests, against /healthz in the same run. Target p99 <= 200 ms.
The factory has 8 machines with 90 days of simulated history (the demo's simulator).

    .venv/bin/python bench/telemetry_oee_query.py [--database-url URL] [--requests 300]

The PostgreSQL database is wiped (schema recreated): give it a scratch database.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from market import create_app, migrate  # noqa: E402
from market.accounts import services as accounts  # noqa: E402
from market.catalog import services as catalog  # noqa: E402
from market.db import utcnow  # noqa: E402
from market.telemetry.simulation import ensure_profiles, load_history  # noqa: E402


def timings(client, url, headers, n):
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        response = client.get(url, headers=headers)
        out.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.get_data(as_text=True)
    out.sort()
    return statistics.median(out), out[int(len(out) * 0.99) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test_telemetry"))
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    url = args.database_url
    if url.startswith("postgresql"):
        migrate.recreate_postgres_schema(url)
    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "VAR_DIR": tempfile.mkdtemp(prefix="bench-oee-"), "LOG_LEVEL": "WARNING"})
    with app.app_context():
        actor = accounts.sign_up(email="oee@example.test", password="bench-password-1", name="B",
                                 organization_name="Bench", kind="factory").actor
        factory = catalog.create_factory(actor, {"name": "Bench Works", "address": "x", "latitude": 31.3,
                                                 "longitude": 120.6, "region": "Suzhou", "certifications": []})
        ids = [catalog.create_machine(actor, {"factory_id": factory.public_id, "name": f"M{i}",
                                              "processes": ["cnc_milling_3ax"]}).id for i in range(8)]
        ensure_profiles(ids)
        t0 = time.perf_counter()
        readings = load_history(ids, days=90)
        print(f"history: {readings} readings for 8 machines x 90 days loaded and rolled up in {time.perf_counter() - t0:.1f} s")
        _, token = accounts.create_api_token(actor, name="bench", scope="read")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    today = utcnow().date()
    span = f"from={(today - timedelta(days=89)).isoformat()}&to={today.isoformat()}"
    base = timings(client, "/healthz", {}, args.requests)
    day = timings(client, f"/api/v1/factories/{factory.public_id}/oee?{span}&granularity=day", headers, args.requests)
    week = timings(client, f"/api/v1/factories/{factory.public_id}/oee?{span}&granularity=week", headers, args.requests)
    print(f"/healthz: p50 {base[0]:.1f} ms, p99 {base[1]:.1f} ms")
    print(f"factory OEE x 90 days, daily:  p50 {day[0]:.1f} ms, p99 {day[1]:.1f} ms ({day[1] / base[1]:.1f} x healthz p99)")
    print(f"factory OEE x 90 days, weekly: p50 {week[0]:.1f} ms, p99 {week[1]:.1f} ms")
    print(f"target p99 <= 200 ms: {'met' if max(day[1], week[1]) <= 200 else 'NOT met'}")
    app.extensions["db"].dispose()


if __name__ == "__main__":
    main()
