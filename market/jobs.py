"""Background work: the plumbing, not the work. A domain registers its tasks by name at
start-up (`market/<domain>/tasks.py`: `register(tasks)`, listed in create_app); this module
owns the Celery app and hands a task to it, or runs it in-process when there is no broker.

Embedded default: one in-process worker thread per app. Production: with
`CELERY_BROKER_URL` set, tasks go to Celery (Redis) and `celery -A market.worker worker`
runs them. If the broker cannot be reached the task runs in-process instead: slower for
the web node, but nothing is lost.
"""
from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from flask import Flask, current_app

from market.metrics import JOBS_SUBMITTED

log = logging.getLogger("market.jobs")


class Tasks:
    """The app's background tasks by name (the name is what goes over the broker)."""

    def __init__(self) -> None:
        self.by_name: dict[str, Callable] = {}

    def add(self, name: str, fn: Callable) -> None:
        """`fn(*args)` runs inside an app context, on a Celery worker or in this process."""
        if self.by_name.get(name, fn) is not fn:
            raise ValueError(f"two tasks are named {name}")
        self.by_name[name] = fn


def init_app(app: Flask, task_modules=()) -> Tasks:
    # CELERY_BROKER_URL, BROKER_TIMEOUT_S, BROKER_RETRY_AFTER_S: market/settings.py
    app.extensions["jobs"] = None  # the thread starts with the first job, not at import or start-up
    app.extensions["celery"] = None
    tasks = app.extensions["tasks"] = Tasks()
    for module in task_modules:
        module.register(tasks)
    return tasks


def celery_for(app: Flask):
    """The app's Celery, built on first use with every registered task."""
    if app.extensions.get("celery") is None:
        from celery import Celery

        celery = Celery("market", broker=app.config["CELERY_BROKER_URL"])
        # Every broker call is bounded: a broker that accepts connections and never answers
        # costs a request BROKER_TIMEOUT_S at most (then the job runs in-process), never a worker.
        timeout = float(app.config.get("BROKER_TIMEOUT_S", 3))
        celery.conf.update(task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
                           broker_connection_retry_on_startup=True, broker_connection_timeout=timeout,
                           broker_transport_options={"max_retries": 1, "socket_connect_timeout": timeout,
                                                     "socket_timeout": timeout, "retry_on_timeout": False})
        for name, fn in app.extensions["tasks"].by_name.items():
            # not shared: a task belongs to this Flask app's Celery, not to every Celery app
            # the process builds later (tests build many apps)
            celery.task(name=name, shared=False)(_in_app_context(app, fn))
        app.extensions["celery"] = celery
    return app.extensions["celery"]


def _in_app_context(app: Flask, fn: Callable) -> Callable:
    def run(*args, **kwargs):
        with app.app_context():
            return fn(*args, **kwargs)

    run.__name__ = run.__qualname__ = fn.__name__
    return run


class BrokerUnavailable(Exception):
    pass


def send_task(app: Flask, name: str, **options) -> None:
    """Publish task `name` once, bounded in time (see celery_for). After a failure the broker
    is skipped for BROKER_RETRY_AFTER_S: callers fall back at once instead of each waiting
    out the timeout again."""
    skip = app.extensions.setdefault("broker_down", {})
    url = app.config["CELERY_BROKER_URL"]
    if time.monotonic() < skip.get(url, 0.0):
        raise BrokerUnavailable(f"the broker failed less than {app.config.get('BROKER_RETRY_AFTER_S', 30)} s ago")
    try:
        celery_for(app).send_task(name, retry=False, **options)
    except Exception:
        skip[url] = time.monotonic() + float(app.config.get("BROKER_RETRY_AFTER_S", 30))
        raise
    skip.pop(url, None)


def submit(name: str, *args, kind: str) -> None:
    """Run task `name` with `args` in the background: on the broker when there is one and it
    answers, else on this process's worker thread. `kind` labels the metrics."""
    app = current_app._get_current_object()
    if app.config.get("CELERY_BROKER_URL"):
        try:
            send_task(app, name, args=list(args))
            JOBS_SUBMITTED.labels(kind, "celery").inc()
            return
        except Exception as exc:  # broker down: run here rather than lose the job
            log.warning("broker unreachable, running the job in-process", extra={"kind": kind, "error": str(exc)})
    if app.extensions.get("jobs") is None:
        app.extensions["jobs"] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="solver")
    fn = app.extensions["tasks"].by_name[name]

    def run():
        with app.app_context():
            try:
                fn(*args)
            except Exception:  # the task records and logs its own failure
                pass

    JOBS_SUBMITTED.labels(kind, "in_process").inc()
    app.extensions["jobs"].submit(run)
