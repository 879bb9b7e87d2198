"""OPC UA ingest: `market telemetry opcua CONFIG` connects to machines' OPC UA servers as a
client (asyncua), subscribes to the nodes each machine's mapping names, turns their data
changes into readings and feeds them, as the machine's enrolled device, to the same ingest
path as HTTP and MQTT (market.telemetry.ingest).

One client per server, each in its own task with its own reconnect loop (exponential backoff
with jitter, capped), so one unreachable or misconfigured server never stops the others.
Security: Basic256Sha256 (Sign or SignAndEncrypt) with the connector's certificate and key;
the server's certificate is pinned when the configuration names it, and compared with the
one the server presents before any session is opened. Bad input (a node id the server does
not know, a value that is no state, a certificate mismatch, a refused reading) is logged and
counted per device (TELEMETRY_DEVICE_ERRORS, and `Connector.errors`), never raised.

Readings carry the source timestamp of the change (the machine's clock, as an edge device's
readings do). Changes with the same timestamp (a state and its counters written together)
are merged into one reading, since a machine has one reading per instant."""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from flask import Flask

from market.errors import DomainError
from market.metrics import TELEMETRY_DEVICE_ERRORS
from market.telemetry import devices, ingest
from market.telemetry.models import STATES

log = logging.getLogger("market.telemetry.opcua")

SIGNALS = ("state", "alarm", "total", "good", "power_kw", "spindle_load", "temperature")
ANALOG = ("power_kw", "spindle_load", "temperature")  # the signals a deadband applies to
MODES = ("Sign", "SignAndEncrypt")


@dataclass(frozen=True)
class MachineMap:
    """One machine on a server: the device it ingests as, and node id -> signal."""

    name: str
    token: str
    nodes: dict[str, str]
    states: dict[str, str] = field(default_factory=dict)  # raw value (as text) -> our state
    deadband: dict[str, float] = field(default_factory=dict)  # analog signal -> absolute deadband


@dataclass(frozen=True)
class ServerConfig:
    name: str
    endpoint: str
    certificate: str | None  # the connector's (PEM or DER path); None: no security (tests of bad input only)
    private_key: str | None
    server_certificate: str | None  # pinned; None: trust what the endpoint list presents
    mode: str = "SignAndEncrypt"
    application_uri: str = "urn:market:telemetry:opcua"
    machines: tuple[MachineMap, ...] = ()


@dataclass(frozen=True)
class Config:
    servers: tuple[ServerConfig, ...]
    publish_ms: int = 500
    queue: int = 100  # changes a server keeps per node between two publishes
    flush_s: float = 1.0
    backoff_s: float = 1.0
    backoff_max_s: float = 60.0


def _need(d: dict, key: str, where: str, kind=str):
    value = d.get(key)
    if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
        raise ValueError(f"{where}.{key}: required ({kind.__name__})")
    return value


def parse_config(doc: dict, base: Path | None = None) -> Config:
    """Validate a configuration document (see docs/telemetry.md); ValueError names the field."""
    def path(value, where):
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError(f"{where}: a file path")
        return str((base / value) if base and not Path(value).is_absolute() else value)

    servers, names = [], set()
    for i, srv in enumerate(_need(doc, "servers", "config", list)):
        where = f"servers[{i}]"
        if not isinstance(srv, dict):
            raise ValueError(f"{where}: an object")
        endpoint = _need(srv, "endpoint", where)
        if not endpoint.startswith("opc.tcp://"):
            raise ValueError(f"{where}.endpoint: {endpoint!r} is not an opc.tcp:// URL")
        sec = srv.get("security")
        if sec is not None:
            if not isinstance(sec, dict) or sec.get("policy", "Basic256Sha256") != "Basic256Sha256":
                raise ValueError(f"{where}.security.policy: only Basic256Sha256 is supported")
            if sec.get("mode", "SignAndEncrypt") not in MODES:
                raise ValueError(f"{where}.security.mode: one of {', '.join(MODES)}")
            _need(sec, "certificate", f"{where}.security")
            _need(sec, "private_key", f"{where}.security")
        machines = []
        for j, m in enumerate(_need(srv, "machines", where, list)):
            mw = f"{where}.machines[{j}]"
            if not isinstance(m, dict):
                raise ValueError(f"{mw}: an object")
            name = _need(m, "name", mw)
            if name in names:
                raise ValueError(f"{mw}.name: {name!r} appears twice")
            names.add(name)
            nodes = _need(m, "nodes", mw, dict)
            for node_id, signal in nodes.items():
                if signal not in SIGNALS:
                    raise ValueError(f"{mw}.nodes[{node_id!r}]: {signal!r} is not one of {', '.join(SIGNALS)}")
            if ("total" in nodes.values()) != ("good" in nodes.values()):
                raise ValueError(f"{mw}.nodes: map both 'total' and 'good' or neither")
            states = {str(k): v for k, v in (m.get("states") or {}).items()}
            for raw, state in states.items():
                if state not in STATES:
                    raise ValueError(f"{mw}.states[{raw!r}]: {state!r} is not one of {', '.join(STATES)}")
            deadband = m.get("deadband") or {}
            for signal, value in deadband.items():
                if signal not in ANALOG or not isinstance(value, (int, float)) or value < 0:
                    raise ValueError(f"{mw}.deadband[{signal!r}]: a number >= 0 for one of {', '.join(ANALOG)}")
            machines.append(MachineMap(name, _need(m, "token", mw), dict(nodes), states,
                                       {k: float(v) for k, v in deadband.items()}))
        servers.append(ServerConfig(
            srv.get("name") or endpoint, endpoint,
            path(sec and sec["certificate"], f"{where}.security.certificate"),
            path(sec and sec["private_key"], f"{where}.security.private_key"),
            path(sec and sec.get("server_certificate"), f"{where}.security.server_certificate"),
            (sec or {}).get("mode", "SignAndEncrypt"),
            (sec or {}).get("application_uri", "urn:market:telemetry:opcua"), tuple(machines)))
    opts = {k: doc[k] for k in ("publish_ms", "queue", "flush_s", "backoff_s", "backoff_max_s") if k in doc}
    for k, v in opts.items():
        if not isinstance(v, (int, float)) or v <= 0:
            raise ValueError(f"config.{k}: a positive number")
    return Config(tuple(servers), **opts)


def load_config(file: str | Path) -> Config:
    file = Path(file)
    return parse_config(json.loads(file.read_text()), file.parent)


def backoff(attempt: int, first: float, cap: float, rng: random.Random = random.Random()) -> float:
    """Seconds to wait before reconnect `attempt` (1, 2, ...): doubling from `first`, capped,
    with full jitter over its upper half so a fleet of connectors does not retry in step."""
    delay = min(cap, first * 2 ** (attempt - 1))
    return delay / 2 + rng.random() * delay / 2


class Feed:
    """One machine's current values, and the readings its changes make. Changes are kept
    until a flush and applied in time order there: one publish may carry several nodes'
    queued changes interleaved, and a counter pair must be read at one instant."""

    def __init__(self, machine: MachineMap):
        self.machine = machine
        self.values: dict[str, object] = {}
        self.changes: list[tuple[datetime, int, str, object]] = []
        self._seq, self.arrived = 0, 0.0

    def change(self, signal: str, value, ts: datetime) -> str | None:
        """Record a data change; returns why it is refused, or None."""
        if signal == "state":
            value = self.machine.states.get(str(value), str(value))
            if value not in STATES:
                return f"value {value!r} is no state"
        elif signal == "alarm":  # an alarm's text is the reason of the state it comes with
            value = "alarm" if value is True else (str(value)[:64] if value not in (None, "", False, 0) else None)
        elif signal in ("total", "good"):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                return f"counter {value!r} is not a whole number >= 0"
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{signal} {value!r} is not a number"
        else:
            value = float(value)
        self._seq += 1
        self.changes.append((ts, self._seq, signal, value))
        self.arrived = time.monotonic()
        return None

    @property
    def pending(self) -> bool:
        return bool(self.changes)

    def take(self, settle_s: float = 0.0) -> list[dict]:
        """The readings of the changes since the last call, one per instant, in time order.
        The newest instant is kept back while its last change is younger than `settle_s`: its
        other nodes' changes may still be on their way, and a reading is stored only once."""
        changes = sorted(self.changes)
        self.changes = []
        if settle_s and changes and time.monotonic() - self.arrived < settle_s:
            newest = changes[-1][0]
            self.changes = [c for c in changes if c[0] == newest]
            changes = changes[:len(changes) - len(self.changes)]
        readings: dict[datetime, dict] = {}
        values = self.values
        for ts, _, signal, value in changes:
            values[signal] = value
            reading = readings.setdefault(ts, {})
            if signal in ("state", "alarm"):
                if "state" in values:
                    reading["state"] = values["state"]
                    reading.pop("reason", None)
                    if values.get("alarm"):
                        reading["reason"] = values["alarm"]
            elif signal in ("total", "good"):
                if "total" in values and "good" in values:
                    reading["total"], reading["good"] = values["total"], values["good"]
            else:
                reading[signal] = value
        return [{"ts": ts.isoformat(), **r} for ts, r in sorted(readings.items()) if r]


def _aware(t: datetime | None) -> datetime | None:
    if t is None:
        return None
    return t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t.astimezone(timezone.utc)


def _sha256(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


class Connector:
    """The connector process: `await run()` until `stop` is set. `clock` gives ingest's "now"."""

    def __init__(self, app: Flask, config: Config, *, clock: Callable[[], datetime] | None = None):
        self.app, self.config = app, config
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.feeds = {m.name: Feed(m) for s in config.servers for m in s.machines}
        self.auth: dict[str, devices.DeviceAuth | None] = {}
        self.errors: Counter = Counter()  # (device name, reason) -> count
        self.connected: dict[str, asyncio.Event] = {s.name: asyncio.Event() for s in config.servers}
        self.stored = self.received = 0
        self.stop = asyncio.Event()

    def reject(self, device: str, reason: str, detail: str) -> None:
        self.errors[(device, reason)] += 1
        TELEMETRY_DEVICE_ERRORS.labels("opcua", device, reason).inc()
        log.warning("opcua: %s rejected (%s): %s", device, reason, detail,
                    extra={"device": device, "reason": reason, "detail": detail})

    async def run(self) -> None:
        tasks = [asyncio.create_task(self._serve(s)) for s in self.config.servers]
        flusher = asyncio.create_task(self._flush_loop())
        try:
            await self.stop.wait()
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            flusher.cancel()
            await asyncio.gather(flusher, return_exceptions=True)
            await self.flush()

    # -- one server -----------------------------------------------------------------------
    async def _serve(self, server: ServerConfig) -> None:
        attempt = 0
        while not self.stop.is_set():
            try:
                await self._session(server)  # returns once `stop` is set
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # every failure to connect or stay connected: retry
                attempt = 1 if self.connected[server.name].is_set() else attempt + 1  # it ran: start over
                reason = "certificate_mismatch" if isinstance(exc, CertificateMismatch) else "connection"
                for m in server.machines:
                    self.reject(m.name, reason, f"{server.endpoint}: {type(exc).__name__}: {exc}")
            finally:
                self.connected[server.name].clear()
            delay = backoff(max(attempt, 1), self.config.backoff_s, self.config.backoff_max_s)
            try:
                await asyncio.wait_for(self.stop.wait(), delay)
            except asyncio.TimeoutError:
                pass

    async def _client(self, server: ServerConfig):
        from asyncua import Client, ua
        from asyncua.crypto import security_policies, uacrypto

        client = Client(server.endpoint, timeout=5)
        client.application_uri = server.application_uri
        if server.certificate is None:
            return client
        mode = getattr(ua.MessageSecurityMode, server.mode)
        presented = await _presented_certificate(server.endpoint, mode)
        if server.server_certificate is not None:
            pinned = uacrypto.der_from_x509(await uacrypto.load_certificate(server.server_certificate))
            if presented != pinned:
                raise CertificateMismatch(f"the server presents certificate sha256 {_sha256(presented)[:16]}…, "
                                          f"pinned is {_sha256(pinned)[:16]}…")
        await client.set_security(security_policies.SecurityPolicyBasic256Sha256, server.certificate,
                                  server.private_key, server_certificate=presented, mode=mode)
        return client

    async def _session(self, server: ServerConfig) -> None:
        from asyncua import ua

        client = await self._client(server)
        await client.connect()
        try:
            handler = _Handler(self)
            sub = await client.create_subscription(self.config.publish_ms, handler)
            for machine in server.machines:
                await self._subscribe(client, sub, handler, machine, ua)
            self.connected[server.name].set()
            log.info("opcua: connected to %s (%d machines)", server.endpoint, len(server.machines))
            alive = client.get_node(ua.ObjectIds.Server_ServerStatus_State)
            while not self.stop.is_set():  # a dead server shows on a read; then reconnect
                await asyncio.sleep(1.0)
                await asyncio.wait_for(alive.read_value(), 5)
        finally:
            try:
                await asyncio.wait_for(client.disconnect(), 5)
            except Exception:  # the connection is gone already
                pass

    async def _subscribe(self, client, sub, handler, machine: MachineMap, ua) -> None:
        for node_id, signal in machine.nodes.items():
            try:
                node = client.get_node(node_id)
                await node.read_browse_name()  # an unknown node id fails here, by name
            except Exception as exc:
                self.reject(machine.name, "unknown_node", f"{node_id} ({signal}): {exc}")
                continue
            band = machine.deadband.get(signal)
            try:
                if band:
                    await sub.deadband_monitor(node, band, ua.DeadbandType.Absolute, queuesize=self.config.queue)
                else:
                    await sub.subscribe_data_change(node, queuesize=self.config.queue)
            except ua.UaStatusCodeError as exc:  # e.g. a deadband on a node that is no number
                self.reject(machine.name, "unknown_node", f"{node_id} ({signal}): {exc}")
                continue
            handler.nodes[node.nodeid] = (machine.name, signal)

    # -- into the ingest path ---------------------------------------------------------------
    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.flush_s)
            await self.flush(settle_s=self.config.flush_s)

    async def flush(self, settle_s: float = 0.0) -> None:
        batches = [(name, feed.take(settle_s)) for name, feed in self.feeds.items() if feed.pending]
        batches = [(name, readings) for name, readings in batches if readings]
        if batches:
            await asyncio.to_thread(self._ingest, batches)

    def _ingest(self, batches) -> None:
        with self.app.app_context():
            for name, readings in batches:
                if name not in self.auth:
                    self.auth[name] = devices.authenticate(self.feeds[name].machine.token)
                device = self.auth[name]
                if device is None:
                    self.reject(name, "device", "invalid or revoked device token")
                    continue
                for i in range(0, len(readings), ingest.MAX_BATCH):
                    chunk = readings[i:i + ingest.MAX_BATCH]
                    try:
                        result = ingest.ingest(device, chunk, now=self.clock(), source="opcua")
                    except DomainError as exc:
                        self.auth.pop(name, None)  # a revoked device is looked up again next time
                        self.reject(name, "ingest", exc.detail)
                        continue
                    except Exception as exc:  # the database is down: the readings are lost, not the connector
                        log.exception("opcua: ingest failed for %s", name)
                        self.reject(name, "ingest", type(exc).__name__)
                        continue
                    self.stored += result.stored
                    for r in result.rejected:
                        self.reject(name, "reading", f"{chunk[r['index']]}: {r['reason']}")


class CertificateMismatch(Exception):
    pass


async def _presented_certificate(endpoint: str, mode) -> bytes:
    """The certificate the server presents on its Basic256Sha256 endpoint of `mode` (from
    the unsecured GetEndpoints every OPC UA server answers)."""
    from asyncua import Client
    from asyncua.crypto import security_policies

    probe = Client(endpoint, timeout=5)
    endpoints = await probe.connect_and_get_server_endpoints()
    chosen = Client.find_endpoint(endpoints, mode, security_policies.SecurityPolicyBasic256Sha256.URI)
    der = chosen.ServerCertificate
    return der[:int.from_bytes(der[2:4], "big") + 4]  # the leaf of a chain


class _Handler:
    """asyncua calls datachange_notification for every change; route it to its machine."""

    def __init__(self, connector: Connector):
        self.connector, self.nodes = connector, {}

    def datachange_notification(self, node, val, data) -> None:
        name, signal = self.nodes.get(node.nodeid, (None, None))
        if name is None:
            return
        self.connector.received += 1
        dv = data.monitored_item.Value
        ts = _aware(dv.SourceTimestamp) or _aware(dv.ServerTimestamp) or self.connector.clock()
        why = self.connector.feeds[name].change(signal, val, ts)
        if why:
            self.connector.reject(name, "value", f"{node.nodeid.to_string()} ({signal}): {why}")

    def status_change_notification(self, status) -> None:
        log.warning("opcua: subscription status %s", status)
