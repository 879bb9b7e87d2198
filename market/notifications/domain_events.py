"""Events this package publishes (market/bus.py). The notification core listens to
WebhookEndpointDisabled to tell the organization's owners in-app and by mail."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WebhookEndpointDisabled:
    endpoint_id: str  # public id
    organization_id: int
    url: str
    reason: str
    disabled_at: str  # ISO 8601
