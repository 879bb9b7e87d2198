"""Mixed load through gunicorn on PostgreSQL with the demo world, driven by locust (headless,
in this process), bounded in time; with a /healthz-only phase in the same run as baseline.

    .venv/bin/python bench/load_mixed.py [--seconds 60] [--users 16] [--workers 3]

Workload (weights): capacity search 30, order list 20, order detail 20, public ledger proof
15, order create with an Idempotency-Key 10, /healthz 5. Prints throughput, p50/p99, error
rate per kind and in total, and the mixed/healthz throughput ratio. Traffic goes to
127.0.0.1 only, and stops by itself.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from market_bench_db import serve

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_load"


def prepare(database_url: str) -> dict:
    """Fresh schema, demo world, a checkpoint, a write token for a buyer (no gevent here)."""
    from market_bench_db import fresh_market_database

    fresh_market_database(database_url)
    from sqlalchemy import select, text

    from market import create_app

    app = create_app({"DATABASE_URL": database_url, "LOG_LEVEL": "WARNING", "VAR_DIR": tempfile.mkdtemp()})
    with app.app_context():
        from market.accounts import services as accounts
        from market.db import unit_of_work
        from market.demo import seed
        from market.ops import anchoring
        from market.orders.models import Order

        seed.seed_world()
        anchoring.checkpoint_and_anchor()
        buyer = accounts.authenticate("buyer1@demo.local", seed.PASSWORD)
        _, token = accounts.create_api_token(buyer.actor, name="load", scope="write")
        with unit_of_work() as s:
            orders = [str(o) for o in s.scalars(select(Order.public_id).where(Order.buyer_org_id == buyer.actor.org_id))]
            size = s.connection().execute(text("SELECT MAX(tree_size) FROM ledger_checkpoints")).scalar()
    return {"token": token, "orders": orders, "proof_size": int(size)}


def run_phase(host: str, user_class, users: int, seconds: float):
    import gevent
    from locust.env import Environment

    env = Environment(user_classes=[user_class], host=host)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=users)
    gevent.sleep(seconds)
    runner.quit()
    return env.stats


def report(label: str, stats, seconds: float) -> float:
    total = stats.total
    rps = total.num_requests / seconds
    print(f"{label:<22} {rps:8.1f} req/s  p50 {total.get_response_time_percentile(0.5):6.0f} ms  "
          f"p99 {total.get_response_time_percentile(0.99):6.0f} ms  errors {total.num_failures}/{total.num_requests} "
          f"({100 * total.fail_ratio:.2f} %)")
    return rps


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--baseline-seconds", type=float, default=15)
    ap.add_argument("--users", type=int, default=16)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--port", type=int, default=8766)
    ap.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.prepare:
        print(json.dumps(prepare(args.database_url)))
        return

    print(f"database: {args.database_url}")
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--prepare", "--database-url", args.database_url],
                          capture_output=True, text=True, check=True)
    world = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"demo world seeded, checkpoint over {world['proof_size']} entries, {len(world['orders'])} buyer orders "
          f"({time.perf_counter() - t0:.1f} s)")

    import random
    import uuid

    from locust import FastHttpUser, constant, task  # locust patches sockets with gevent on import

    auth = {"Authorization": f"Bearer {world['token']}"}
    processes = ["cnc_milling_3ax", "cnc_turning", "laser_cutting", "injection_molding", "anodizing"]

    class Health(FastHttpUser):
        wait_time = constant(0)

        @task
        def healthz(self):
            self.client.get("/healthz")

    class Mixed(FastHttpUser):
        wait_time = constant(0)

        @task(30)
        def capacity_search(self):
            self.client.get(f"/api/v1/capacity/search?process={random.choice(processes)}&per_page=20",
                            headers=auth, name="capacity search")

        @task(20)
        def order_list(self):
            self.client.get("/api/v1/orders?per_page=20", headers=auth, name="order list")

        @task(20)
        def order_detail(self):
            self.client.get(f"/api/v1/orders/{random.choice(world['orders'])}", headers=auth, name="order detail")

        @task(15)
        def ledger_proof(self):
            self.client.get(f"/api/v1/ledger/entries/{random.randrange(world['proof_size'])}/proof",
                            name="ledger proof")

        @task(10)
        def order_create(self):
            body = {"title": "Load bracket", "part_number": "LB-1", "material": "6061", "quantity": 50,
                    "due_at": "2027-06-30T00:00:00Z", "budget_minor": 300000, "currency": "CNY",
                    "operations": [{"process_code": "cnc_milling_3ax", "setup_minutes": 30,
                                    "run_minutes_per_unit": 2}], "submit": True}
            self.client.post("/api/v1/orders", json=body, headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
                             name="order create")

        @task(5)
        def healthz(self):
            self.client.get("/healthz", name="healthz")

    import requests

    server = serve(args.database_url, args.port, args.workers)
    host = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(150):
            try:
                if requests.get(host + "/healthz", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        run_phase(host, Mixed, 4, 3)  # warm-up
        health = run_phase(host, Health, args.users, args.baseline_seconds)
        mixed = run_phase(host, Mixed, args.users, args.seconds)
    finally:
        # a loaded machine may take gunicorn longer than 20 s to stop: kill it then, and keep
        # the figures (a TimeoutExpired here used to lose the whole run)
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(20)

    print(f"\ngunicorn {args.workers} workers x 2 threads, {args.users} users, no think time; locust and the server "
          f"share the machine's {os.cpu_count()} cores (load average now {os.getloadavg()[0]:.1f})\n")
    base = report("/healthz alone", health, args.baseline_seconds)
    rps = report("mixed workload", mixed, args.seconds)
    for name in sorted(mixed.entries, key=lambda k: k[0]):
        e = mixed.entries[name]
        print(f"  {name[0]:<20} {e.num_requests / args.seconds:8.1f} req/s  p50 {e.get_response_time_percentile(0.5):6.0f} ms"
              f"  p99 {e.get_response_time_percentile(0.99):6.0f} ms  errors {e.num_failures}")
    print(f"\nratio mixed/healthz throughput: {rps / base:.2f}")


if __name__ == "__main__":
    main()
