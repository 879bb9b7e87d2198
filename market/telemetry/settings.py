"""Telemetry configuration from the environment (safe defaults for one machine)."""
from __future__ import annotations

import os

from flask import Flask

DEFAULTS = {
    "TELEMETRY_RETENTION_DAYS": ("180", int),  # raw readings; aggregates are kept forever
    "TELEMETRY_MAX_SKEW_S": ("300", int),  # readings further ahead of server time are rejected
    "TELEMETRY_OFFLINE_AFTER_S": ("1800", int),  # silence after which a machine counts as offline
    "TELEMETRY_DOWN_ALERT_MINUTES": ("30", int),  # down this long: windows pulled, bookings re-planned
    "MQTT_URL": ("mqtt://127.0.0.1:1883", str),
    "TELEMETRY_MQTT_TOPIC_PREFIX": ("", str),  # e.g. 'plant1/': topics become plant1/factories/...
}


def init_app(app: Flask) -> None:
    for key, (default, cast) in DEFAULTS.items():
        app.config.setdefault(key, cast(os.environ.get(key, default)))
