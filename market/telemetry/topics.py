"""The MQTT topic tree of telemetry and who vouches for a message on it.

- `{prefix}factories/{factory}/machines/{machine}/devices/{device}/telemetry`: a device's own
  topic. Only that device's broker account may publish there (the ACL written by
  `broker_accounts`), so the broker has authenticated whoever published: no token inside.
- `{prefix}factories/{factory}/machines/{machine}/telemetry`: the older machine topic, where
  every payload carries the device token (any client that can subscribe sees it), for brokers
  without per-device accounts.

Acknowledgements go to the topic + `/ack`, which neither subscription filter matches."""
from __future__ import annotations

import uuid
from typing import Literal
from urllib.parse import urlparse

MACHINE_TOPIC = "factories/{factory_id}/machines/{machine_id}/telemetry"
DEVICE_TOPIC = "factories/{factory_id}/machines/{machine_id}/devices/{device_id}/telemetry"
Mode = Literal["broker", "token", "both"]


def machine_topic(prefix: str, factory_id, machine_id) -> str:
    return prefix + MACHINE_TOPIC.format(factory_id=factory_id, machine_id=machine_id)


def device_topic(prefix: str, factory_id, machine_id, device_id) -> str:
    return prefix + DEVICE_TOPIC.format(factory_id=factory_id, machine_id=machine_id, device_id=device_id)


def filters(prefix: str, mode: Mode) -> list[str]:
    """What the subscriber listens to in `mode`."""
    out = []
    if mode in ("broker", "both"):
        out.append(device_topic(prefix, "+", "+", "+"))
    if mode in ("token", "both"):
        out.append(machine_topic(prefix, "+", "+"))
    return out


def parse(prefix: str, topic: str) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID | None]:
    """(factory, machine, device or None for the machine topic); ValueError for anything else."""
    parts = topic[len(prefix):].split("/") if topic.startswith(prefix) else []
    try:
        if len(parts) == 5 and parts[0] == "factories" and parts[2] == "machines" and parts[4] == "telemetry":
            return uuid.UUID(parts[1]), uuid.UUID(parts[3]), None
        if (len(parts) == 7 and parts[0] == "factories" and parts[2] == "machines" and parts[4] == "devices"
                and parts[6] == "telemetry"):
            return uuid.UUID(parts[1]), uuid.UUID(parts[3]), uuid.UUID(parts[5])
    except ValueError:
        pass
    raise ValueError(f"topic {topic!r} is neither {prefix}{DEVICE_TOPIC} nor {prefix}{MACHINE_TOPIC}")


def mode(config) -> Mode:
    """TELEMETRY_MQTT_DEVICE_AUTH resolved: `auto` trusts the broker when the subscriber itself
    logs in (MQTT_URL has a username), since a broker that asks it for a password asks devices too."""
    setting = config.get("TELEMETRY_MQTT_DEVICE_AUTH", "auto")
    if setting != "auto":
        return setting
    return "broker" if urlparse(config.get("MQTT_URL") or "").username else "token"
