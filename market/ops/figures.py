"""Figures kept in the database, read for /metrics and /readyz: ledger size, what is still
waiting to be anchored, and background jobs by status. The kernel serves both pages but knows
no domain's tables: `init_app` registers `read` with market.metrics at start-up."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from flask import Flask
from sqlalchemy import func, select

from ledger.sql_tables import ledger_anchors, ledger_checkpoints, ledger_entries
from market import metrics
from market.db import unit_of_work, utcnow


@dataclass(frozen=True)
class Figures:
    ledger_size: int
    unanchored_entries: int  # entries past the last checkpoint that has a confirmed anchor
    pending_checkpoints: int  # checkpoints signed after the last confirmed anchor
    anchor_lag_seconds: float  # age of the oldest of those (0 when none)
    jobs_by_status: dict[str, int]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def read() -> Figures:
    from market.matching.models import SolveJob

    with unit_of_work() as s:
        last = s.scalar(select(func.max(ledger_entries.c.idx)))
        size = 0 if last is None else int(last) + 1
        anchored_seq = s.scalar(select(func.max(ledger_anchors.c.checkpoint_seq))
                                .where(ledger_anchors.c.status == "confirmed"))
        anchored_size = 0 if anchored_seq is None else s.scalar(
            select(ledger_checkpoints.c.tree_size).where(ledger_checkpoints.c.seq == anchored_seq))
        waiting = select(func.count(), func.min(ledger_checkpoints.c.signed_at))
        if anchored_seq is not None:
            waiting = waiting.where(ledger_checkpoints.c.seq > anchored_seq)
        pending, oldest = s.execute(waiting).one()
        jobs = dict(s.execute(select(SolveJob.status, func.count()).group_by(SolveJob.status)).all())
    lag = (utcnow() - _aware(oldest)).total_seconds() if oldest is not None else 0.0
    return Figures(size, size - int(anchored_size or 0), int(pending), max(lag, 0.0),
                   {status: jobs.get(status, 0) for status in ("queued", "running", "done", "failed")})


def init_app(app: Flask) -> None:
    metrics.register_figures(app, read)
