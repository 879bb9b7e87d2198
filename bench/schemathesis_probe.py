"""The outside probe of the API: schemathesis against gunicorn on PostgreSQL, as a buyer and
as a factory, bounded in time.

    .venv/bin/python bench/schemathesis_probe.py [--examples 100] [--max-time 300] [--workers 2]

A fresh schema in the database given by --database-url (or $PROBE_DATABASE_URL; created if
missing), a small world (a buyer with an order asking for quotes, a factory with a machine,
windows, an invited order), gunicorn on a free 127.0.0.1 port, then `schemathesis run` over the
whole OpenAPI document once per token: every phase (examples, coverage, fuzzing, stateful),
--examples per operation, the checks not_a_server_error, response_schema_conformance and
content_type_conformance. Each run stops after --max-time seconds. Reports (ndjson, junit and a
pytest file reproducing every failure) go to --report-dir. Exit status 1 when a check failed.

The suite runs a small in-process budget of the same checks: tests/market/test_api_fuzz.py.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

from market_bench_db import serve

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/schemathesis_probe"
CHECKS = "not_a_server_error,response_schema_conformance,content_type_conformance"


def prepare(database_url: str) -> dict:
    """Fresh schema and a small world built through the API itself; returns the two tokens."""
    from market_bench_db import fresh_market_database

    fresh_market_database(database_url)
    from market import create_app

    app = create_app({"DATABASE_URL": database_url, "LOG_LEVEL": "WARNING", "VAR_DIR": tempfile.mkdtemp(),
                      "API_RATE_LIMIT": "1000000 per minute"})
    from market.accounts import services as accounts

    tokens = {}
    with app.app_context():
        for kind in ("buyer", "factory"):
            user = accounts.sign_up(email=f"probe-{kind}@example.test", password="correct-horse-1",
                                    name=f"Probe {kind}", organization_name=f"Probe {kind} Co", kind=kind)
            tokens[kind] = accounts.create_api_token(user.actor, name="probe", scope="write")[1]
    client = app.test_client()

    def call(kind, method, path, body=None):
        response = client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {tokens[kind]}"})
        assert response.status_code < 300, (path, response.status_code, response.get_json())
        return response.get_json()

    factory = call("factory", "POST", "/api/v1/factories", {
        "name": "Probe Works", "address": "1 Probe Road", "latitude": 31.3, "longitude": 120.6, "region": "Suzhou",
        "certifications": ["ISO9001"]})
    machine = call("factory", "POST", "/api/v1/machines", {
        "factory_id": factory["id"], "name": "VF-2", "processes": ["cnc_milling_3ax", "anodizing"],
        "hourly_rate_minor": 20000})
    start = (datetime.now(timezone.utc) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    for day in range(3):
        s = start + timedelta(days=day)
        call("factory", "POST", "/api/v1/capacity-windows", {
            "machine_id": machine["id"], "start": s.isoformat(), "end": (s + timedelta(hours=8)).isoformat(),
            "pricing_mode": "per_hour", "price": 20000})
    order = call("buyer", "POST", "/api/v1/orders", {
        "title": "Probe bracket", "quantity": 10, "due_at": (start + timedelta(days=20)).isoformat(),
        "budget_minor": 500000, "currency": "CNY", "submit": True,
        "operations": [{"process_code": "cnc_milling_3ax", "setup_minutes": 30, "run_minutes_per_unit": 1}]})
    call("buyer", "POST", f"/api/v1/orders/{order['id']}/quote-requests", {"factory_id": factory["id"]})
    job = call("buyer", "POST", f"/api/v1/orders/{order['id']}/quotes")
    for _ in range(100):
        if call("buyer", "GET", f"/api/v1/jobs/{job['id']}")["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    app.extensions["db"].dispose()
    return tokens


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(base: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not become healthy")


def probe(base: str, who: str, token: str, args, report_dir: Path) -> int:
    out = report_dir / who
    cmd = [str(Path(sys.executable).with_name("schemathesis")), "run", f"{base}/api/openapi.json", "--url", base,
           "-H", f"Authorization: Bearer {token}", "--checks", CHECKS, "--phases", args.phases,
           "--max-examples", str(args.examples), "--max-time", str(args.max_time), "--seed", str(args.seed),
           "--workers", "1", "--request-timeout", "30", "--generation-database", "none", "--no-color",
           "--continue-on-failure", "--report", "junit,ndjson,pytest", "--report-dir", str(out),
           # revoking a token is covered by the suite; here it would revoke the probe's own token
           # (the coverage phase finds its id in GET /tokens) and leave every later call a 401
           "--exclude-path", "/api/v1/tokens/{token_id}"]
    print(f"\n=== schemathesis as the {who} (at most {args.max_time} s) ===", flush=True)
    return subprocess.run(cmd, cwd=ROOT).returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", default=os.environ.get("PROBE_DATABASE_URL", DEFAULT_URL))
    ap.add_argument("--examples", type=int, default=100)
    ap.add_argument("--max-time", type=int, default=300, help="seconds per token")
    ap.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--as", dest="who", choices=("buyer", "factory", "both"), default="both")
    ap.add_argument("--report-dir", default=str(ROOT / "schemathesis-report"))
    ap.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.prepare:
        print(json.dumps(prepare(args.database_url)))
        return 0

    print(f"database: {args.database_url}")
    done = subprocess.run([sys.executable, __file__, "--prepare", "--database-url", args.database_url],
                          capture_output=True, text=True)
    if done.returncode:
        print(done.stderr[-3000:])
        return 2
    tokens = json.loads(done.stdout.strip().splitlines()[-1])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    report_dir = Path(args.report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    with open(report_dir / "gunicorn.log", "wb") as log:
        server = serve(args.database_url, port, args.workers, log)
        try:
            wait_healthy(base)
            codes = [probe(base, who, tokens[who], args, report_dir)
                     for who in (("buyer", "factory") if args.who == "both" else (args.who,))]
        finally:
            server.terminate()
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
    print(f"\nreports in {report_dir} (gunicorn's log: gunicorn.log)")
    return 1 if any(codes) else 0


if __name__ == "__main__":
    sys.exit(main())
