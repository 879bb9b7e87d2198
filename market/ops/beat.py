"""Celery beat: the periodic tasks on the broker (`celery -A market.worker beat`).

Run exactly one beat process per deployment; any number of workers run what it sends.
Each entry is a task that exists in market.ops.periodic.TASKS, every interval comes from
the same configuration as the in-process scheduler.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from market.ops import periodic


def task_name(name: str) -> str:
    return f"market.periodic.{name}"


def schedule(config) -> dict:
    return {name: {"task": task_name(name), "schedule": seconds,
                   # a tick that waits longer than its own interval is dropped, not piled up
                   "options": {"expires": seconds}}
            for name, seconds in periodic.intervals(config).items()}


def configure(celery, app: Flask) -> None:
    for name in periodic.TASKS:
        def run(name=name):
            with app.app_context():
                return periodic.run(name)

        celery.task(name=task_name(name))(run)
    celery.conf.beat_schedule = schedule(app.config)
    celery.conf.beat_schedule_filename = str(Path(app.config["VAR_DIR"]) / "celerybeat-schedule")
