"""Webhook fan-out: 10,000 deliveries to a receiver on 127.0.0.1.

Prints deliveries/s of the real path (rows committed in the business transaction, claimed,
signed with the official standardwebhooks package, POSTed with bounded timeouts, each result
committed to the delivery log) against a bare loop in the same run: the same HTTP client
posting the same signed payloads to the same receiver, no database (target >= 0.5 x). Then
the delay from commit to delivery with an idle queue (events committed one by one, handed to
the background sender after each commit): p50/p99 (target p99 <= 5 s).

Last, the whole notification path for --notifications (10,000) notifications: a domain event
published in a business transaction (100 per transaction) -> its outbox row -> the after-commit
handler writing the in-app notification, its e-mail row and the webhook delivery
(market/notifications/fanout.py) -> the background sender POSTing it. Prints notifications/s
(first commit to last webhook delivered) against the bare loop, and the p50/p99 delay from
each business commit to its in-app notification and to its webhook delivery. The handler is a
batch one (bus.after_commit(..., batch=True)): one fanout.write_many per outbox batch.

Then the same path under continuous publishing: --continuous-rate notifications/s (10 per
transaction) for --continuous-seconds, and the p50/p99 delay from commit to webhook while the
stream goes on (on SQLite the sender must get the write lock between the fan-out's batches).

The receiver speaks HTTP/1.1 (kept-alive connections) like a real one; the bare loop and the
sender use the same client (market/notifications/http.py) with its kept-alive connections.

    .venv/bin/python bench/webhook_fanout.py [--n 10000] [--notifications 10000] [--database-url URL] [--threads 4]
        [--continuous-rate 200] [--continuous-seconds 30]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from market import bus, create_app, migrate  # noqa: E402
from market.accounts import services as accounts  # noqa: E402
from market.db import unit_of_work  # noqa: E402
from market.notifications import endpoints, http, sender, signing, ssrf  # noqa: E402
from market.accounts.models import User  # noqa: E402
from market.notifications.fanout import Tell, write_many  # noqa: E402
from market.notifications.models import Notification  # noqa: E402
from market.notifications.webhook_models import WebhookDelivery  # noqa: E402
from market.notifications.webhooks import deliver_webhook  # noqa: E402


@dataclass(frozen=True)
class BenchShipped:
    """The bench's business event: lot `n` shipped, told to `user_id` (one notification)."""

    n: int
    user_id: int
    committed_at: str  # ISO: stamped last thing before the business transaction commits


def tell_shipped(events: list[tuple[int, BenchShipped]]) -> None:
    """The after-commit handler, a batch one (bus.after_commit(..., batch=True)): the users of
    all the batch's events in one query, their notifications in one fanout.write_many."""
    with unit_of_work() as s:
        users = {u.id: u for u in s.scalars(select(User).where(User.id.in_({e.user_id for _, e in events})))}
        write_many(s, [(outbox_id, [Tell(users[e.user_id], "order.shipped",
                                         {"order": f"Bench order {e.n}", "at": e.committed_at})],
                        ("order", f"00000000-0000-0000-0000-{e.n:012d}")) for outbox_id, e in events])
        s.commit()


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[max(0, min(len(values) - 1, int(round(len(values) * p)) - 1))]


def notification_path(app, receiver: str, n: int, bare: float, bare_fresh: float, *, rate: float | None = None,
                      label: str = "notify", sender_env: dict | None = None) -> None:
    """In-app + webhook for `n` notifications through the bus, against the bare loop's rate.
    A fresh organization (one user, one endpoint) so its deliveries are told apart. With
    `rate`, published continuously at that many notifications/s (10 per transaction) instead
    of as fast as possible: the delay a steady stream of business commits sees. With
    `sender_env`, the webhooks are sent by a sender process (`market webhooks-send --follow`)
    started before the clock starts, instead of this process's background thread."""
    owner = accounts.sign_up(email=f"bench-{label}@example.test", password="correct-horse-1", name="Bench",
                             organization_name=f"Bench {label}", kind="factory").actor
    endpoint_id = endpoints.create_endpoint(owner, url=receiver, kinds=["order.shipped"]).endpoint.id
    app.config.update(WEBHOOK_DISPATCH="background" if sender_env is None else "sweep", EVENTS_INLINE=True)
    process = None
    if sender_env is not None:
        process = subprocess.Popen([str(ROOT / ".venv/bin/market"), "webhooks-send", "--follow", "0.02"],
                                   env={**os.environ, **sender_env}, stderr=subprocess.PIPE, text=True)
        process.stderr.readline()  # "sending what is due ...": it is ready
    mine = (WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == "delivered")
    started = time.perf_counter()
    per_tx = 100 if rate is None else 10
    for start in range(0, n, per_tx):
        if rate is not None:  # the stream's schedule: transaction k at k * per_tx / rate seconds
            time.sleep(max(0.0, started + start / rate - time.perf_counter()))
        with unit_of_work() as s:
            # stamped before the outbox rows are written: their flush counts against us
            stamp = datetime.now(timezone.utc).isoformat()
            bus.publish(s, *(BenchShipped(i, owner.user_id, stamp) for i in range(start, min(start + per_tx, n))))
            s.commit()  # the handlers run right after this (EVENTS_INLINE); the webhooks go to the sender
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        with unit_of_work() as s:
            if s.scalar(select(func.count()).select_from(WebhookDelivery).where(*mine)) >= n:
                break
        time.sleep(0.1)
    elapsed = time.perf_counter() - started
    if process is not None:
        process.terminate()
        process.wait()
    with unit_of_work() as s:
        notes = s.execute(select(Notification.params, Notification.created_at)
                          .where(Notification.user_id == owner.user_id)).all()
        hooks = s.execute(select(WebhookDelivery.body, WebhookDelivery.delivered_at).where(*mine)).all()
    in_app = [(at - datetime.fromisoformat(p["at"])).total_seconds() for p, at in notes]
    webhook = [(at - datetime.fromisoformat(b["data"]["params"]["at"])).total_seconds() for b, at in hooks]
    if rate is not None:
        print(f"continuous          {n} notifications published at {rate:.0f}/s for {n / rate:.0f} s "
              f"(10 per transaction), all delivered after {elapsed:.1f} s")
    else:
        achieved = len(webhook) / elapsed
        how = "sender process" if process is not None else "in-process sender"
        print(f"notifications       {achieved:8.0f} notifications/s ({how}; in-app + e-mail row + webhook; {len(notes)} "
              f"in-app, {len(webhook)} webhooks delivered) ratio {achieved / bare:.2f} x bare loop (target >= 0.5), "
              f"{achieved / bare_fresh:.2f} x the bare loop with fresh connections")
    print(f"commit -> in-app    p50 {statistics.median(in_app) * 1000:.0f} ms  p99 {percentile(in_app, 0.99) * 1000:.0f} ms")
    print(f"commit -> webhook   p50 {statistics.median(webhook) * 1000:.0f} ms  "
          f"p99 {percentile(webhook, 0.99) * 1000:.0f} ms over {len(webhook)} notifications (target p99 <= 5 s)")


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps connections alive, for the bare loop and the sender alike
    disable_nagle_algorithm = True  # as a real receiver does: no 40 ms wait between headers and body
    count = 0

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Sink.count += 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


def payload(n: int) -> dict:
    return {"order": {"id": f"ord-{n}"}, "lot": {"id": f"lot-{n}"}, "summary": "Lot shipped",
            "links": {"self": f"https://market.example/orders/ord-{n}"}}


def bare_loop(url: str, secret: str, n: int, *, fresh_connections: bool = False) -> float:
    """The ceiling: sign and POST the same bodies one after another, nothing recorded. With
    `fresh_connections`, a new connection per POST (the client before it kept connections
    alive: the baseline of the figures measured before)."""
    policy = ssrf.Policy(require_https=False, allow_private=False, allowed_hosts=frozenset({"127.0.0.1"}))
    target = ssrf.resolve(url, policy)
    started = time.perf_counter()
    for i in range(n):
        body = json.dumps({"id": f"evt_bare_{i}", "type": "order.shipped", "timestamp": "2026-01-01T00:00:00Z",
                           "data": payload(i)}, separators=(",", ":"))
        headers = signing.standard_headers(secret, f"evt_bare_{i}", datetime.now(timezone.utc), body)
        answer = http.post(target, body.encode(), headers, connect_timeout=3, timeout=10)
        assert answer.ok, answer
        if fresh_connections:
            http.close_idle()
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--latency-events", type=int, default=300)
    parser.add_argument("--notifications", type=int, default=10_000)
    parser.add_argument("--continuous-rate", type=float, default=200,
                        help="then publish notifications continuously at this rate (per s); 0: skip")
    parser.add_argument("--continuous-seconds", type=float, default=30)
    parser.add_argument("--sender-process", action="store_true",
                        help="also run the --notifications path with a sender process (market webhooks-send --follow)")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="webhook-bench-")
    url = args.database_url or f"sqlite:///{tmp}/bench.db"
    if url.startswith("postgresql"):
        migrate.recreate_postgres_schema(url)
    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "VAR_DIR": tmp, "LOG_LEVEL": "WARNING", "IN_PROCESS_SCHEDULER": False,
                      "WEBHOOK_REQUIRE_HTTPS": False, "WEBHOOK_ALLOWED_HOSTS": ["127.0.0.1"],
                      "WEBHOOK_DISPATCH": "sweep", "WEBHOOK_SENDER_THREADS": args.threads, "WEBHOOK_BATCH": 500})
    app.extensions["bus"].after_commit(BenchShipped, tell_shipped, batch=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    receiver = f"http://127.0.0.1:{server.server_address[1]}/hooks"

    with app.app_context():
        owner = accounts.sign_up(email="bench@example.test", password="correct-horse-1", name="Bench",
                                 organization_name="Bench Works", kind="factory").actor
        created = endpoints.create_endpoint(owner, url=receiver, kinds=["order.shipped"])
        org_id = owner.org_id

        bare = bare_loop(receiver, created.secret, args.n)
        bare_fresh = bare_loop(receiver, created.secret, args.n, fresh_connections=True)

        started = time.perf_counter()
        for start in range(0, args.n, 500):  # the business transactions that owe the events
            with unit_of_work() as s:
                for i in range(start, min(start + 500, args.n)):
                    deliver_webhook(s, org_id, "order.shipped", payload(i), event_id=f"evt_{i}")
                s.commit()
        written = time.perf_counter() - started
        started = time.perf_counter()
        counts = sender.send_due()
        sent = time.perf_counter() - started
        with unit_of_work() as s:
            delivered = s.scalar(select(func.count()).select_from(WebhookDelivery)
                                 .where(WebhookDelivery.status == "delivered"))
        assert delivered == args.n, counts
        rate = args.n / sent
        print(f"database            {app.extensions['db'].engine.dialect.name}, {args.threads} sender threads, "
              f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"bare loop           {bare:8.0f} deliveries/s  (same client, same signed payloads, nothing recorded)")
        print(f"bare loop, fresh    {bare_fresh:8.0f} deliveries/s  (the same with a new connection per POST)")
        print(f"fan-out (send)      {rate:8.0f} deliveries/s  ratio {rate / bare:.2f} x bare loop (target >= 0.5)")
        print(f"fan-out (end to end){args.n / (written + sent):8.0f} deliveries/s  "
              f"(incl. writing the {args.n} rows: {written:.1f} s)")

        # commit -> delivery with an idle queue: one event per transaction, background hand-off
        app.config["WEBHOOK_DISPATCH"] = "background"
        ids = []
        for i in range(args.latency_events):
            with unit_of_work() as s:
                ids += deliver_webhook(s, org_id, "order.shipped", payload(i), event_id=f"evt_lat_{i}")
                s.commit()
            time.sleep(0.01)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with unit_of_work() as s:
                rows = s.execute(select(WebhookDelivery.created_at, WebhookDelivery.delivered_at)
                                 .where(WebhookDelivery.id.in_(ids), WebhookDelivery.status == "delivered")).all()
            if len(rows) == len(ids):
                break
            time.sleep(0.2)
        delays = sorted((d - c).total_seconds() for c, d in rows)
        p99 = delays[int(len(delays) * 0.99) - 1]
        print(f"commit -> delivery  p50 {statistics.median(delays) * 1000:.0f} ms  p99 {p99 * 1000:.0f} ms "
              f"over {len(delays)} events (target p99 <= 5 s)")
        if args.notifications:
            notification_path(app, receiver, args.notifications, bare, bare_fresh)
        if args.notifications and args.sender_process:
            sender_env = {"DATABASE_URL": url, "MARKET_VAR_DIR": tmp, "LOG_LEVEL": "WARNING",
                          "IN_PROCESS_SCHEDULER": "false", "WEBHOOK_REQUIRE_HTTPS": "false",
                          "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", "WEBHOOK_SENDER_THREADS": str(args.threads),
                          "WEBHOOK_BATCH": "500"}
            notification_path(app, receiver, args.notifications, bare, bare_fresh, label="process",
                              sender_env=sender_env)
        if args.continuous_rate:
            notification_path(app, receiver, int(args.continuous_rate * args.continuous_seconds), bare, bare_fresh,
                              rate=args.continuous_rate, label="continuous")
    server.shutdown()


if __name__ == "__main__":
    main()
