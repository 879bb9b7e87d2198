"""MQTT ingest: `market telemetry subscribe` listens on the topics of `topics` and feeds every
message to the same ingest path as HTTP. A message is a batch `{"readings": [...]}`, a list of
readings, or one reading. On a device's own topic (`…/devices/{device}/telemetry`) the broker
has authenticated the publisher (broker_accounts writes its accounts and ACLs), so the topic
names the device and no token is needed. On the older machine topic the device token comes
from the payload's "token" or an MQTT 5 user property `token`, and is checked here. Which of
the two are accepted is TELEMETRY_MQTT_DEVICE_AUTH. The outcome (the HTTP response body, or a
problem) is published to the same topic + `/ack`."""
from __future__ import annotations

import json
import logging
import threading
import uuid
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

from flask import Flask

from market.errors import DomainError
from market.telemetry import devices, effects, ingest, topics

log = logging.getLogger("market.telemetry.mqtt")
TOPIC = topics.MACHINE_TOPIC


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> Broker:
        u = urlparse(url)
        if u.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
            raise ValueError(f"broker URL {url!r}: scheme must be mqtt:// or mqtts://")
        tls = u.scheme in ("mqtts", "ssl")
        return cls(u.hostname or "127.0.0.1", u.port or (8883 if tls else 1883), tls,
                   unquote(u.username) if u.username else None, unquote(u.password) if u.password else None)


def topic_for(prefix: str, factory_id, machine_id) -> str:
    return topics.machine_topic(prefix, factory_id, machine_id)


def handle(prefix: str, topic: str, payload: bytes, user_token: str | None = None, *,
           mode: topics.Mode = "token") -> dict:
    """One message through the ingest path; returns the acknowledgement document. `mode`
    says which topic form is trusted (a broker misconfigured to deliver the other is refused)."""
    try:
        factory_id, machine_id, device_id = topics.parse(prefix, topic)
    except ValueError as exc:
        return {"status": 400, "detail": str(exc)}
    try:
        body = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return {"status": 400, "detail": "the payload is not JSON"}
    token = user_token
    if isinstance(body, dict) and "readings" in body:
        token, readings = body.get("token") or token, body["readings"]
    elif isinstance(body, dict):
        token = body.pop("token", None) or token
        readings = [body]
    else:
        readings = body
    if device_id is not None:
        if mode == "token":
            return {"status": 403, "detail": "device topics are not trusted: TELEMETRY_MQTT_DEVICE_AUTH is token"}
        device = devices.authenticate_account(device_id)  # the broker checked the password; a token is ignored
        if device is None:
            return {"status": 401, "detail": f"device {device_id} is unknown or revoked"}
    else:
        if mode == "broker":
            return {"status": 403, "detail": "tokens in payloads are not accepted: publish on the device's own topic"}
        device = devices.authenticate(token if isinstance(token, str) else None)
        if device is None:
            return {"status": 401, "detail": "invalid or revoked device token"}
    if device.factory_public_id != factory_id:
        return {"status": 403, "detail": f"this device belongs to factory {device.factory_public_id}"}
    try:
        return {"status": 200, **ingest.ingest(device, readings, machine_public_id=machine_id, source="mqtt").to_dict()}
    except DomainError as exc:
        return {"status": exc.status, "detail": exc.detail}


def _user_token(properties) -> str | None:
    for key, value in getattr(properties, "UserProperty", None) or []:
        if key.lower() in ("token", "authorization"):
            return value.removeprefix("Bearer ").strip()
    return None


class Subscriber:
    """The subscriber process. `run()` blocks until `stop` is set; checks for down machines
    every `sweep_s` seconds (a machine that went down and silent raises its alert here)."""

    def __init__(self, app: Flask, *, url: str, prefix: str = "", shared_group: str | None = None,
                 sweep_s: float = 60.0, client_id: str | None = None, mode: topics.Mode | None = None):
        self.app, self.broker, self.prefix, self.sweep_s = app, Broker.parse(url), prefix, sweep_s
        self.mode = mode or topics.mode({**app.config, "MQTT_URL": url})
        self.filters = [f"$share/{shared_group}/{f}" if shared_group else f for f in topics.filters(prefix, self.mode)]
        self.filter = " ".join(self.filters)
        self.client_id = client_id or f"market-telemetry-{uuid.uuid4().hex[:8]}"
        self.subscribed = threading.Event()
        self.stop = threading.Event()
        self.handled = 0

    def _client(self):
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv5)
        if self.broker.username:
            client.username_pw_set(self.broker.username, self.broker.password)
        if self.broker.tls:
            client.tls_set()

        def on_connect(client, userdata, flags, reason_code, properties):
            if reason_code.is_failure:
                log.error("MQTT connect refused", extra={"reason": str(reason_code)})
                return
            client.subscribe([(f, 1) for f in self.filters])

        def on_subscribe(client, userdata, mid, reason_codes, properties):
            self.subscribed.set()

        def on_message(client, userdata, msg):
            with self.app.app_context():
                try:
                    ack = handle(self.prefix, msg.topic, msg.payload, _user_token(msg.properties), mode=self.mode)
                except Exception as exc:  # never lose the subscriber over one message
                    log.exception("telemetry message failed", extra={"topic": msg.topic})
                    ack = {"status": 500, "detail": f"{type(exc).__name__}"}
            self.handled += 1
            if ack["status"] != 200:
                log.warning("telemetry message refused", extra={"topic": msg.topic, **ack})
            client.publish(msg.topic + "/ack", json.dumps(ack), qos=1)

        client.on_connect, client.on_subscribe, client.on_message = on_connect, on_subscribe, on_message
        return client

    def run(self) -> None:
        client = self._client()
        client.connect(self.broker.host, self.broker.port, keepalive=30)
        client.loop_start()
        try:
            while not self.stop.wait(self.sweep_s):
                with self.app.app_context():
                    try:
                        effects.sweep()
                    except Exception:
                        log.exception("down-machine sweep failed")
        finally:
            client.disconnect()
            client.loop_stop()
