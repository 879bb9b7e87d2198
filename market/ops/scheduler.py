"""The in-process scheduler: periodic tasks without a broker (the embedded default).

`market up` (gunicorn) starts one in every web worker (gunicorn_conf.post_worker_init);
only the holder of a lock runs tasks, the others wait to take over should it stop:
on PostgreSQL a session advisory lock (one leader across every machine on that database),
on SQLite an flock on var/scheduler.lock (SQLite lives on one machine). With
CELERY_BROKER_URL set, Celery beat schedules instead and this thread does not start.
"""
from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from pathlib import Path

from flask import Flask
from sqlalchemy import text

from market.ops import periodic

log = logging.getLogger("market.scheduler")

ADVISORY_KEY = 0x534D4D5F42454154  # "SMM_BEAT": one leader per database
FIRST_RUN_WITHIN_S = 60.0  # a task first runs at most this long after start-up


class _Leadership:
    """Who may run the tasks: held until release() or until the holder's process dies."""

    def __init__(self, app: Flask):
        self.app, self._conn, self._file = app, None, None

    def acquire(self) -> bool:
        engine = self.app.extensions["db"].engine
        if engine.dialect.name == "postgresql":
            return self._acquire_advisory(engine)
        return self._acquire_flock()

    def _acquire_advisory(self, engine) -> bool:
        if self._conn is not None:
            try:  # still ours? (a database restart ends the session and frees the lock)
                self._conn.execute(text("SELECT 1"))
                return True
            except Exception:
                self.release()
        conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")  # never idle in a transaction
        try:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar()
        except Exception:
            conn.close()
            raise
        if got:
            self._conn = conn
        else:
            conn.close()
        return bool(got)

    def _acquire_flock(self) -> bool:
        if self._file is not None:
            return True
        handle = open(Path(self.app.config["VAR_DIR"]) / "scheduler.lock", "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0), handle.truncate(), handle.write(str(os.getpid())), handle.flush()
        self._file = handle
        return True

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                pass
            self._conn = None
        if self._file is not None:
            self._file.close()  # closing the descriptor drops the flock
            self._file = None


class Scheduler(threading.Thread):
    def __init__(self, app: Flask, *, tick_s: float = 1.0):
        super().__init__(name="scheduler", daemon=True)
        self.app, self.tick_s = app, tick_s
        self.stopping = threading.Event()
        self.leadership = _Leadership(app)
        self.is_leader = False
        self.runs: dict[str, int] = {}

    def run(self) -> None:
        every = periodic.intervals(self.app.config)
        start = time.monotonic()
        due = {name: start + min(seconds, FIRST_RUN_WITHIN_S) for name, seconds in every.items()}
        while not self.stopping.is_set():
            try:
                self.is_leader = self.leadership.acquire()
            except Exception as exc:  # database down: nobody leads until it is back
                self.is_leader = False
                log.warning("scheduler: cannot take the lock", extra={"error": str(exc)[:200]})
            if self.is_leader:
                now = time.monotonic()
                for name in [n for n, at in due.items() if at <= now]:
                    due[name] = now + every[name]
                    self._run_one(name)
            self.stopping.wait(self.tick_s)
        self.leadership.release()

    def _run_one(self, name: str) -> None:
        with self.app.app_context():
            try:
                periodic.run(name)
            except Exception:
                pass  # logged and counted by periodic.run; the next tick goes on
        self.runs[name] = self.runs.get(name, 0) + 1

    def stop(self, timeout: float = 10) -> None:
        self.stopping.set()
        self.join(timeout)


def start(app: Flask) -> Scheduler | None:
    """Start this process's scheduler unless a broker (beat) or the operator says no."""
    if app.config.get("CELERY_BROKER_URL") or not app.config.get("IN_PROCESS_SCHEDULER", True):
        return None
    if app.extensions.get("scheduler") is None:
        app.extensions["scheduler"] = Scheduler(app)
        app.extensions["scheduler"].start()
    return app.extensions["scheduler"]
