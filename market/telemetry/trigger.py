"""Run the rollup soon after an ingest commits, off the request path.

With `CELERY_BROKER_URL`: a `market.telemetry.rollup_dirty` task with a countdown of
`TELEMETRY_ROLLUP_DELAY_S`. Without it (or the broker unreachable): one background thread
per process. Either way the runs are coalesced: while a run is scheduled and has not
started claiming, further ingests need no other run (what they committed before it starts
is what it will find). `TELEMETRY_ROLLUP_AFTER_INGEST=off` leaves it all to
`market telemetry rollup` (cron)."""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

from flask import Flask, current_app

log = logging.getLogger("market.telemetry.trigger")
TASK = "market.telemetry.rollup_dirty"
PERIODIC_TASK = "market.telemetry.rollup"


class Background:
    """One worker thread; at most one run waiting to start."""

    def __init__(self, app: Flask):
        self.app = app
        self.lock = threading.Lock()
        self.scheduled = False
        self.last: Future | None = None
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="telemetry-rollup")

    def poke(self) -> None:
        with self.lock:
            if self.scheduled:
                return
            self.scheduled = True
            self.last = self.executor.submit(self._run)

    def _run(self) -> None:
        time.sleep(self.app.config["TELEMETRY_ROLLUP_DELAY_S"])  # let a burst of batches land first
        with self.lock:
            self.scheduled = False  # from here on, a new commit needs a new run
        with self.app.app_context():
            from market.telemetry import dirty

            try:
                dirty.drain()
            except Exception:  # the marks stay: the next run (or the cron rollup) takes them
                log.exception("telemetry rollup failed")

    def wait(self, timeout: float = 30.0) -> None:
        """Until the runs submitted so far are done (tests, shutdown)."""
        while True:
            with self.lock:
                last = self.last
            if last is None:
                return
            last.result(timeout)
            with self.lock:
                if self.last is last:
                    return


def background(app: Flask) -> Background:
    if app.extensions.get("telemetry_rollup") is None:
        app.extensions["telemetry_rollup"] = Background(app)
    return app.extensions["telemetry_rollup"]


_celery_lock = threading.Lock()


def _send_celery(app: Flask) -> None:
    """Send a delayed rollup task unless one already sent has not started yet (per process:
    `not_before` is when the last one sent may start)."""
    from market.jobs import send_task

    delay = app.config["TELEMETRY_ROLLUP_DELAY_S"]
    with _celery_lock:
        state = app.extensions.setdefault("telemetry_rollup_celery", {"not_before": 0.0})
        now = time.time()
        if now < state["not_before"] - 0.5:  # margin for the worker's clock
            return
        send_task(app, TASK, countdown=delay)
        state["not_before"] = now + delay


def after_ingest() -> None:
    app = current_app._get_current_object()
    if app.config["TELEMETRY_ROLLUP_AFTER_INGEST"] == "off":
        return
    if app.config.get("CELERY_BROKER_URL"):
        try:
            _send_celery(app)
            return
        except Exception as exc:  # broker down: roll up here rather than wait for cron
            log.warning("broker unreachable, rolling up in-process", extra={"error": str(exc)})
    background(app).poke()

