"""The telemetry tasks on the broker: the rollup an ingest asks for (trigger.py) and the
whole rollup, for a beat of your own (`celery -A market.worker beat` runs it as the
periodic task telemetry_rollup; cron: `market telemetry rollup`)."""
from __future__ import annotations

from market import jobs
from market.telemetry import dirty, services
from market.telemetry.trigger import PERIODIC_TASK, TASK


def register(tasks: jobs.Tasks) -> None:
    tasks.add(TASK, dirty.drain)
    tasks.add(PERIODIC_TASK, services.rollup_all)
