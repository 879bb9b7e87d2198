"""Capacity search over 100k windows / 2k machines on PostgreSQL, through gunicorn.

Prints search requests/s and p50/p99 latency, and the same server's /healthz rate measured
in the same run as the ceiling (target: search >= 0.3 x healthz, p99 <= 100 ms).

    .venv/bin/python bench/capacity_search.py [--database-url URL] [--seconds 20]

Needs wrk (Debian package `wrk`). Targets 127.0.0.1 only; each load run is bounded in time.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests
from sqlalchemy import create_engine, insert, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from market import create_app, migrate  # noqa: E402
from market.accounts import services as accounts  # noqa: E402
from market.catalog.models import CapacityWindow, Factory, Machine, MachineProcess  # noqa: E402
from market.catalog.taxonomy import taxonomy  # noqa: E402

REGIONS = [("Suzhou", 31.30, 120.60), ("Dongguan", 23.02, 113.75), ("Ningbo", 29.87, 121.55),
           ("Foshan", 23.02, 113.12), ("Wuxi", 31.49, 120.31), ("Xiamen", 24.48, 118.09)]


def fresh_database(url: str) -> None:
    migrate.recreate_postgres_schema(url)
    migrate.upgrade(url)


def fill(url: str, factories: int, machines: int, windows_per_machine: int, org_id: int) -> list[str]:
    rng = random.Random(1)
    codes = list(taxonomy().processes)
    now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(insert(Factory.__table__), [
            {"public_id": uuid.uuid4(), "organization_id": org_id, "name": f"Factory {i}", "address": "x",
             "latitude": r[1] + rng.uniform(-0.3, 0.3), "longitude": r[2] + rng.uniform(-0.3, 0.3), "region": r[0],
             "timezone": "Asia/Shanghai", "certifications": rng.sample(["ISO9001", "IATF16949", "AS9100"], 1),
             "description": "", "created_at": now}
            for i, r in ((i, rng.choice(REGIONS)) for i in range(factories))])
        factory_ids = conn.execute(text("SELECT id FROM factories ORDER BY id")).scalars().all()
        conn.execute(insert(Machine.__table__), [
            {"public_id": uuid.uuid4(), "factory_id": rng.choice(factory_ids), "name": f"M{i}", "model": "",
             "status": "active", "hourly_rate_minor": rng.randrange(5000, 50000, 100), "currency": "CNY",
             "created_at": now} for i in range(machines)])
        rows = conn.execute(text("SELECT id, factory_id FROM machines ORDER BY id")).all()
        conn.execute(insert(MachineProcess.__table__), [
            {"machine_id": mid, "process_code": code} for mid, _ in rows for code in rng.sample(codes, rng.randint(1, 3))])
        batch = []
        for mid, fid in rows:
            for d in range(windows_per_machine):
                start = now + timedelta(days=d + 1, hours=rng.choice([0, 8, 12]))
                batch.append({"public_id": uuid.uuid4(), "machine_id": mid, "factory_id": fid, "start_at": start,
                              "end_at": start + timedelta(hours=rng.choice([4, 8, 10])), "pricing_mode": "per_hour",
                              "price": rng.randrange(5000, 50000, 100), "currency": "CNY", "min_lot": 1,
                              "lead_time_days": 1, "status": "open", "created_at": now})
            if len(batch) >= 20000:
                conn.execute(insert(CapacityWindow.__table__), batch)
                batch = []
        if batch:
            conn.execute(insert(CapacityWindow.__table__), batch)
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return codes


def wrk(url_paths: list[str], base: str, token: str, seconds: int, connections: int) -> dict:
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    paths = ",".join(f'"{p}"' for p in url_paths)
    script.write(f'local paths = {{{paths}}}\nlocal i = 0\n'
                 f'wrk.headers["Authorization"] = "Bearer {token}"\n'
                 'request = function() i = i % #paths + 1; return wrk.format("GET", paths[i]) end\n')
    script.close()
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script.name, base],
                         capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)

    def ms(label):
        m = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": ms("50"), "p99": ms("99"), "non2xx": int(errors.group(1)) if errors else 0}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL",
                                                             "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--port", type=int, default=8765)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")

    print(f"database: {args.database_url}")
    t0 = time.perf_counter()
    fresh_database(args.database_url)
    app = create_app({"DATABASE_URL": args.database_url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        owner = accounts.sign_up(email="bench-f@example.test", password="bench-password", name="b",
                                 organization_name="bench factories", kind="factory")
        buyer = accounts.sign_up(email="bench-b@example.test", password="bench-password", name="b",
                                 organization_name="bench buyer", kind="buyer")
        _, token = accounts.create_api_token(buyer.actor, name="bench", scope="read")
    codes = fill(args.database_url, 500, 2000, 50, owner.actor.org_id)
    print(f"filled 500 factories, 2000 machines, 100000 windows in {time.perf_counter() - t0:.1f} s")

    env = {**os.environ, "DATABASE_URL": args.database_url, "LOG_LEVEL": "WARNING", "WEB_CONCURRENCY": str(args.workers),
           "BIND": f"127.0.0.1:{args.port}", "MARKET_VAR_DIR": tempfile.mkdtemp()}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "python:market.gunicorn_conf", "market:create_app()"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(100):
            try:
                if requests.get(base + "/healthz", timeout=5).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        rng = random.Random(2)
        now = datetime.now(timezone.utc)
        paths = []
        for _ in range(200):
            q = f"/api/v1/capacity/search?process={rng.choice(codes)}&per_page=20"
            if rng.random() < 0.5:
                q += f"&region={rng.choice(REGIONS)[0]}"
            if rng.random() < 0.5:
                q += "&to=" + (now + timedelta(days=rng.randint(3, 30))).strftime("%Y-%m-%dT%H:%M:%SZ")
            if rng.random() < 0.3:
                q += "&sort=price"
            paths.append(q)
        sample = requests.get(base + paths[0], headers={"Authorization": f"Bearer {token}"}).json()
        print(f"sample query {paths[0]} -> {sample['total']} windows")
        wrk(paths[:5], base, token, 3, args.connections)  # warm-up
        health = wrk(["/healthz"], base, token, args.seconds, args.connections)
        search = wrk(paths, base, token, args.seconds, args.connections)
    finally:
        server.terminate()
        server.wait(10)
    print(f"/healthz (ceiling): {health['rps']:.0f} req/s  p50 {health['p50']:.1f} ms  p99 {health['p99']:.1f} ms")
    print(f"capacity search   : {search['rps']:.0f} req/s  p50 {search['p50']:.1f} ms  p99 {search['p99']:.1f} ms"
          f"  non-2xx {search['non2xx']}")
    print(f"ratio search/healthz: {search['rps'] / health['rps']:.2f}  (target >= 0.30; p99 target <= 100 ms)")


if __name__ == "__main__":
    main()
