"""Prometheus metrics: the named metric objects every domain increments, and `/metrics`.

Import the object you need and touch it where the thing happens, e.g.
`from market.metrics import TELEMETRY_READINGS; TELEMETRY_READINGS.labels(source="http").inc(n)`.
Objects are created at import (prometheus_client's registry is process-wide by design);
nothing else is.

Several gunicorn workers: set `PROMETHEUS_MULTIPROC_DIR` to an empty directory before the
processes start (`market up` does, under var/), and every worker writes its counts there;
`/metrics` sums them. Figures that live in the database (ledger size, anchoring lag, jobs
waiting) are read at scrape time, so every replica reports the same truth; the reader is
registered at start-up by the part that knows those tables (market/ops/figures.py, through
`register_figures`): the kernel knows no domain.

Access: `/metrics` answers callers on the loopback interface; any other caller needs
`Authorization: Bearer $METRICS_TOKEN` (no token configured: loopback only).
"""
from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger("market.metrics")

# -- HTTP ------------------------------------------------------------------------------------
REQUEST_LATENCY = Histogram(
    "market_http_request_duration_seconds", "Time to answer one request, by endpoint (Flask endpoint name).",
    ["endpoint", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
DATABASE_UNAVAILABLE = Counter(
    "market_database_unavailable_total", "Requests answered 503 because the database could not be reached.")

# -- background work -------------------------------------------------------------------------
SOLVE_SECONDS = Histogram(
    "market_solve_duration_seconds", "Wall time of one background job (solve), by kind and outcome.",
    ["kind", "outcome"], buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300))
JOBS_SUBMITTED = Counter(
    "market_jobs_submitted_total", "Background jobs handed off, by kind and where they went (celery, in_process).",
    ["kind", "via"])
JOBS_FAILED = Counter("market_jobs_failed_total", "Background jobs that ended 'failed', by kind.", ["kind"])
PERIODIC_RUNS = Counter(
    "market_periodic_runs_total", "Runs of periodic tasks (beat or the in-process scheduler), by task and outcome.",
    ["task", "outcome"])

# -- ledger ----------------------------------------------------------------------------------
ANCHOR_ATTEMPTS = Counter("market_anchor_attempts_total", "Checkpoint anchoring attempts, by outcome.", ["outcome"])

# -- other domains (incremented where the thing happens) -------------------------------------
TELEMETRY_READINGS = Counter(
    "market_telemetry_readings_total", "Machine telemetry readings accepted (ingest rate), by source (http, mqtt).",
    ["source"])
TELEMETRY_DEVICE_ERRORS = Counter(
    "market_telemetry_device_errors_total", "Telemetry input refused, by source (opcua), device (the connector's "
    "name for it) and reason (unknown_node, certificate_mismatch, connection, value, reading, ingest, device).",
    ["source", "device", "reason"])
CREDIT_REPORTS = Counter("market_credit_reports_total", "Credit reports issued to lenders.")


# app.extensions key of the reader of database figures (see register_figures)
FIGURES_READER = "market.figures_reader"


def register_figures(app: Flask, read: Callable[[], Any]) -> None:
    """Register the reader of the figures kept in the database, for /metrics and /readyz. It
    returns an object with ledger_size, unanchored_entries, pending_checkpoints,
    anchor_lag_seconds and jobs_by_status (market.ops.figures.Figures)."""
    app.extensions[FIGURES_READER] = read


def read_figures(app: Flask | None = None) -> Any:
    """The database figures, read now (raises what the reader raises, e.g. database down)."""
    return (app or current_app).extensions[FIGURES_READER]()


class DatabaseFigures:
    """Collector: figures kept in the database, read when Prometheus scrapes."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        with self.app.app_context():
            try:
                f = read_figures(self.app)
            except Exception as exc:  # a scrape reports what it can; the database may be down
                log.warning("metrics: database figures unavailable", extra={"error": str(exc)[:200]})
                up = GaugeMetricFamily("market_database_up", "1 when the database answered this scrape.")
                up.add_metric([], 0)
                yield up
                return
        up = GaugeMetricFamily("market_database_up", "1 when the database answered this scrape.")
        up.add_metric([], 1)
        yield up
        size = GaugeMetricFamily("market_ledger_entries", "Entries in the ledger.")
        size.add_metric([], f.ledger_size)
        yield size
        unanchored = GaugeMetricFamily("market_ledger_unanchored_entries",
                                       "Ledger entries not yet covered by a checkpoint with a confirmed anchor.")
        unanchored.add_metric([], f.unanchored_entries)
        yield unanchored
        lag = GaugeMetricFamily("market_anchor_lag_seconds",
                                "Age of the oldest signed checkpoint still waiting for a confirmed anchor (0: none).")
        lag.add_metric([], f.anchor_lag_seconds)
        yield lag
        pending = GaugeMetricFamily("market_anchor_pending_checkpoints",
                                    "Signed checkpoints newer than the last confirmed anchor.")
        pending.add_metric([], f.pending_checkpoints)
        yield pending
        jobs = GaugeMetricFamily("market_jobs", "Background jobs by status (queued and running: now; failed: ever).",
                                 labels=["status"])
        for status, count in sorted(f.jobs_by_status.items()):
            jobs.add_metric([status], count)
        yield jobs


def _allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip(), token):
        return True
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def render(app: Flask) -> bytes:
    figures = CollectorRegistry()
    figures.register(DatabaseFigures(app))
    # prometheus_client's own switch, read from the process environment by the library
    # itself (gunicorn's workers inherit it), so it is no setting of ours
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
        return generate_latest(processes) + generate_latest(figures)
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY) + generate_latest(figures)


def init_app(app: Flask) -> None:
    @app.before_request
    def _start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response):
        started = g.pop("metrics_started", None)
        if started is not None and request.endpoint != "metrics":
            # the endpoint name, never the raw path: ids in URLs would explode the label set
            REQUEST_LATENCY.labels(request.endpoint or "unmatched", request.method,
                                   str(response.status_code)).observe(time.perf_counter() - started)
        return response

    @app.get("/metrics", endpoint="metrics")
    def metrics():
        if not _allowed():
            return Response("forbidden\n", status=403, mimetype="text/plain")
        return Response(render(app), mimetype=CONTENT_TYPE_LATEST)
