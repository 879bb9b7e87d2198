"""Tiles/s through gunicorn vs static files of the same bytes; a witness catching up 1M entries.

    .venv/bin/python bench/tlog_tiles.py [--entries 1000000] [--seconds 15] [--port 8790]

1. Builds a migrated market database (SQLite file) holding ``--entries`` ledger entries (the
   ledger bench helpers' events) and one signed checkpoint.  ``--keep DIR`` reuses it.
2. Serves it with gunicorn (the app, ``WEB_CONCURRENCY``/``WEB_THREADS`` as configured, default
   2 workers × 2 threads here) and, as the baseline, the same tile bytes written to files and
   served by gunicorn with the same workers and threads through werkzeug's static file
   middleware.  Load: client processes on keep-alive connections fetching random full level-0
   tiles (and 1 in 16 a level-1 tile) for ``--seconds`` each.  Prints tiles/s of both and the ratio.
3. A fresh witness (``ledger.witness``) catches up from size 0 to the checkpoint through the app:
   the default mode (fewest tiles covering the range) and ``full`` (every level-0 tile, every
   leaf hash folded).  Prints seconds, tiles read and entries/s, and as the same-run baseline the
   time to fold the same leaf hashes without HTTP.
"""
from __future__ import annotations

import argparse
import hashlib
import multiprocessing as mp
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ledger_bench_db import make_events  # noqa: E402

ORIGIN = "smm.local/ledger"

STATIC_APP = '''
import os
from werkzeug.middleware.shared_data import SharedDataMiddleware
def _404(environ, start_response):
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"not found"]
app = SharedDataMiddleware(_404, {"/": os.environ["TILE_DIR"]}, cache=True, cache_timeout=31536000)
'''


def build(workdir: Path, entries: int) -> str:
    from sqlalchemy import create_engine

    from ledger.log import Ledger
    from ledger.signing import NoteSigner, load_or_create_private_key
    from ledger.sql_store import SqlLedgerStore
    from market import migrate

    db = workdir / "market.db"
    url = f"sqlite:///{db}"
    if not db.exists():
        migrate.upgrade(url)
    engine = create_engine(url)
    store = SqlLedgerStore()
    with engine.connect() as conn:
        have = store.size(conn)
    t0 = time.perf_counter()
    batch = 20000
    while have < entries:
        k = min(batch, entries - have)
        with engine.begin() as conn:
            store.append(conn, make_events(k, have))
        have += k
    if time.perf_counter() - t0 > 1:
        print(f"built {entries:,} entries in {time.perf_counter() - t0:.1f} s")
    ledger = Ledger(store, NoteSigner(ORIGIN, load_or_create_private_key(workdir / "ledger_ed25519.key")))
    with engine.begin() as conn:
        cp = store.latest_checkpoint(conn)
        if cp is None or cp.tree_size != entries:
            ledger.sign_checkpoint(conn)
    engine.dispose()
    return url


def wait_up(url: str, timeout: float = 300) -> None:  # the app's imports take a minute on a busy machine
    end = time.time() + timeout
    while time.time() < end:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server at {url} did not come up")


def gunicorn(args: list[str], env: dict, port: int, workers: int, threads: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", str(workers), "--threads", str(threads),
           "--log-level", "warning", *args]
    return subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _load(port: int, paths: list[str], seconds: float, seed: int, out) -> None:
    import http.client

    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    n, bad, end = 0, 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        conn.request("GET", rng.choice(paths))
        resp = conn.getresponse()
        data = resp.read()
        if resp.status != 200 or len(data) != 8192:
            bad += 1
        n += 1
    out.put((n, bad))


def tiles_per_second(port: int, paths: list[str], seconds: float, clients: int) -> float:
    q: mp.Queue = mp.Queue()
    procs = [mp.Process(target=_load, args=(port, paths, seconds, i, q)) for i in range(clients)]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    results = [q.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - t0
    if sum(b for _, b in results):
        raise SystemExit(f"{sum(b for _, b in results)} bad responses")
    return sum(n for n, _ in results) / elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=1_000_000)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--port", type=int, default=8790)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--clients", type=int, default=3, help="load-generator processes")
    ap.add_argument("--rounds", type=int, default=3, help="alternating app / static measurements")
    ap.add_argument("--keep", help="directory to keep (and reuse) the database in")
    args = ap.parse_args()

    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tlog_bench_"))
    workdir.mkdir(parents=True, exist_ok=True)
    url = build(workdir, args.entries)
    size = args.entries
    app_port, static_port = args.port, args.port + 1
    env = {"DATABASE_URL": url, "MARKET_VAR_DIR": str(workdir), "IN_PROCESS_SCHEDULER": "false",
           "LOG_LEVEL": "WARNING", "SECRET_KEY": "bench", "RATELIMIT_STORAGE_URI": "memory://"}
    app = gunicorn(["market:create_app()"], env, app_port, args.workers, args.threads)
    try:
        wait_up(f"http://127.0.0.1:{app_port}/checkpoint")
        base = f"http://127.0.0.1:{app_port}"
        from ledger.tiles import TileRef

        full0 = size // 256
        paths = [TileRef(0, n).path() for n in range(full0)] + [TileRef(1, n).path() for n in range(size // 65536)]
        weighted = [f"/{p}" for p in paths[:full0]] + [f"/{p}" for p in paths[full0:]] * max(1, full0 // 16 // max(1, len(paths) - full0))
        # the same bytes as static files, fetched from the app once
        tile_dir = workdir / "static"
        for p in paths:
            f = tile_dir / p
            if not f.exists():
                f.parent.mkdir(parents=True, exist_ok=True)
                f.write_bytes(urllib.request.urlopen(f"{base}/{p}").read())
        static_app = workdir / "static_tiles_app.py"
        static_app.write_text(STATIC_APP)
        static = gunicorn(["--chdir", str(workdir), "static_tiles_app:app"], {"TILE_DIR": str(tile_dir)},
                          static_port, args.workers, args.threads)
        try:
            wait_up(f"http://127.0.0.1:{static_port}/{paths[0]}")
            tiles_per_second(app_port, weighted, 2, args.clients)  # warm-up (workers, prepared statements)
            tiles_per_second(static_port, weighted, 2, args.clients)
            # alternated, so drift in a shared machine's speed hits both alike
            app_rates, static_rates = [], []
            for _ in range(args.rounds):
                app_rates.append(tiles_per_second(app_port, weighted, args.seconds, args.clients))
                static_rates.append(tiles_per_second(static_port, weighted, args.seconds, args.clients))
        finally:
            stop(static)
        ratios = [a / b for a, b in zip(app_rates, static_rates)]
        print(f"tiles/s, {args.workers} workers x {args.threads} threads, {args.clients} client processes, "
              f"{args.rounds} alternating rounds of {args.seconds:.0f} s:")
        print(f"  app (tiles from the database): {', '.join(f'{r:,.0f}' for r in app_rates)} tiles/s")
        print(f"  static files, same bytes:      {', '.join(f'{r:,.0f}' for r in static_rates)} tiles/s")
        print(f"  ratio app/static per round: {', '.join(f'{r:.2f}x' for r in ratios)}; "
              f"median {statistics.median(ratios):.2f}x (target >= 0.5x)")

        # --- a witness catching up from nothing -------------------------------------------------
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        from ledger.cosign import Cosigner
        from ledger.signing import load_or_create_private_key, public_key_bytes
        from ledger.witness import HttpLog, Witness, extend

        log_pub = public_key_bytes(load_or_create_private_key(workdir / "ledger_ed25519.key"))
        for full in (False, True):
            state = Path(tempfile.mkdtemp()) / "state.json"
            w = Witness(ORIGIN, log_pub, Cosigner("bench.witness/w1", Ed25519PrivateKey.generate()), state, full=full)
            client = HttpLog(base)
            note = client.get("checkpoint").decode()
            t0 = time.perf_counter()
            w.cosign(note, client.get)
            dt = time.perf_counter() - t0
            print(f"witness catch-up 0 -> {size:,} ({'full: every leaf tile' if full else 'fewest tiles'}): "
                  f"{dt:.2f} s, {client.requests} requests, {size / dt:,.0f} entries/s (target <= 60 s)")
            client.close()
        # baseline in the same run: fold the same number of leaf hashes with no HTTP at all
        leaves = [hashlib.sha256(b"\x00" + i.to_bytes(8, "big")).digest() for i in range(size)]
        t0 = time.perf_counter()
        stack: list = []
        for h in leaves:
            extend(stack, (0, h))
        fold_s = time.perf_counter() - t0
        print(f"baseline: folding {size:,} leaf hashes in memory: {fold_s:.2f} s")
    finally:
        stop(app)
    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")


if __name__ == "__main__":
    main()
