"""Python cost of one API call, in process (no HTTP server, no network): the mixed-load
benchmark's hot routes against `/healthz` in the same process, on the demo world.

    .venv/bin/python bench/api_cost.py [--calls 300] [--database-url URL] [--profile ROUTE]

Prints per route: ms per call, calls/s, the ratio to /healthz's calls/s, and the SQL statements
one call runs. `--profile order_list` (or order_detail, capacity_search) adds the 25 costliest
functions of that route (cProfile, cumulative). bench/load_mixed.py is the same mix through
gunicorn and HTTP.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import tempfile
import time


def world(database_url: str | None):
    from sqlalchemy import event

    from market import create_app, migrate

    var = tempfile.mkdtemp()
    url = database_url or f"sqlite:///{var}/bench.db"
    if url.startswith("postgresql"):
        migrate.recreate_postgres_schema(url)
    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "VAR_DIR": var, "LOG_LEVEL": "WARNING", "TELEMETRY_ROLLUP_AFTER_INGEST": "off"})
    with app.app_context():
        from market.accounts import services as accounts
        from market.demo import seed

        seed.seed_world(history_days=7)
        buyer = accounts.authenticate("buyer1@demo.local", seed.PASSWORD)
        _, token = accounts.create_api_token(buyer.actor, name="bench", scope="read")
    statements: list[str] = []
    event.listen(app.extensions["db"].engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    return app, token, statements


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--database-url")
    parser.add_argument("--profile", choices=["order_list", "order_detail", "capacity_search"])
    args = parser.parse_args()
    app, token, statements = world(args.database_url)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    orders = [o["id"] for o in client.get("/api/v1/orders?per_page=100", headers=auth).get_json()["items"]]
    processes = ["cnc_milling_3ax", "cnc_turning", "laser_cutting", "injection_molding", "anodizing"]
    routes = {
        "healthz": lambda: client.get("/healthz"),
        "order_list": lambda: client.get("/api/v1/orders?per_page=20", headers=auth),
        "order_detail": lambda: client.get(f"/api/v1/orders/{random.choice(orders)}", headers=auth),
        "capacity_search": lambda: client.get(
            f"/api/v1/capacity/search?process={random.choice(processes)}&per_page=20", headers=auth),
    }
    base = None
    print(f"{'route':16} {'ms/call':>8} {'calls/s':>8} {'vs healthz':>10} {'SQL':>4}")
    for name, call in routes.items():
        for _ in range(10):  # warm caches, compiled statements, the token's last_used_at
            assert call().status_code == 200, name
        statements.clear()
        call()
        per_call_sql = len(statements)
        started = time.perf_counter()
        for _ in range(args.calls):
            call()
        per_s = args.calls / (time.perf_counter() - started)
        base = base or per_s
        print(f"{name:16} {1000 / per_s:8.2f} {per_s:8.0f} {per_s / base:10.3f} {per_call_sql:4d}")
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.calls):
            routes[args.profile]()
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
