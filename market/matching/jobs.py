"""Background work. Embedded default: one in-process worker thread per app, so a solve
never runs inside a web request. (Celery on Redis is the production path: see issue 3.)"""
from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor

from flask import Flask, current_app

log = logging.getLogger("market.jobs")


def init_app(app: Flask) -> None:
    app.extensions["jobs"] = None  # the thread starts with the first job, not at import or start-up


def submit(fn, *args) -> Future:
    app = current_app._get_current_object()
    if app.extensions.get("jobs") is None:
        app.extensions["jobs"] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="solver")

    def run():
        with app.app_context():
            try:
                return fn(*args)
            except Exception:
                log.exception("background job failed")
                raise

    return app.extensions["jobs"].submit(run)
