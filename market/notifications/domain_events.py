"""Events this package publishes (market/bus.py). The notification core listens to
WebhookEndpointDisabled to tell the organization's owners in-app and by mail."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WebhookEndpointDisabled:
    """A webhook endpoint or chat robot was disabled after failing persistently (every attempt of a delivery over its ~24 h schedule, or nothing received for WEBHOOK_DISABLE_AFTER_S); published in the unit of work that disables it. The notification core tells the organization's owners."""

    endpoint_id: str  # public id
    organization_id: int
    url: str
    reason: str
    disabled_at: str  # ISO 8601
