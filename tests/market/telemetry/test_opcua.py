"""OPC UA ingest against a real asyncua server in this process on 127.0.0.1 (a free port)
that simulates a machine: states, counters, a breakdown, power. Basic256Sha256 with
certificates made here with `cryptography`; the server trusts only the connector's."""
from __future__ import annotations

import asyncio
import socket
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from market.telemetry import opcua
from tests.market.telemetry.conftest import recent_workday_midnight_shanghai, rollup
from tests.market.telemetry.test_mqtt_and_aggregates import _intervals, _machine_days, _day_readings

asyncua = pytest.importorskip("asyncua")
from asyncua import Server, ua  # noqa: E402
from asyncua.common.utils import ServiceError  # noqa: E402

APP_URI = "urn:market:telemetry:opcua"
NS = "urn:market:test:machine"


def certificate(tmp_path, name: str, uri: str) -> tuple[str, str, bytes]:
    """A self-signed RSA 2048 certificate fit for Basic256Sha256 (valid 2020-2100: no clock),
    written as PEM; returns (cert path, key path, DER)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    import ipaddress

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(datetime(2020, 1, 1, tzinfo=timezone.utc))
            .not_valid_after(datetime(2100, 1, 1, tzinfo=timezone.utc))
            .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(uri), x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=True,
                                         data_encipherment=True, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path), cert.public_bytes(serialization.Encoding.DER)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = tmp_path_factory.mktemp("opcua-certs")
    return {"server": certificate(d, "server", "urn:market:test:server"), "client": certificate(d, "client", APP_URI),
            "stranger": certificate(d, "stranger", APP_URI), "other-server": certificate(d, "other", "urn:x")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dv(value, ts: datetime, kind=None) -> ua.DataValue:
    return ua.DataValue(ua.Variant(value, kind), SourceTimestamp=ts, ServerTimestamp=ts)


class Machine:
    """The simulated machine: an asyncua server with one object per machine name and its
    State (String), Alarm (String), Total and Good (Int64), Power (Double) variables."""

    def __init__(self, certs, names, port, first_ts, initial: dict | None = None):
        self.certs, self.names, self.port, self.first_ts = certs, names, port, first_ts
        self.initial = {"State": "offline", "Alarm": "", "Total": 0, "Good": 0, "Power": 0.0, **(initial or {})}
        self.server, self.nodes, self.writes = Server(), {}, {}

    async def __aenter__(self):
        server = self.server
        await server.init()
        server.set_endpoint(f"opc.tcp://127.0.0.1:{self.port}/machine/")
        server.set_security_policy([ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt])
        await server.load_certificate(self.certs["server"][0])
        await server.load_private_key(self.certs["server"][1])
        trusted = self.certs["client"][2]

        async def validate(cert, app_description):
            from cryptography.hazmat.primitives import serialization
            if cert.public_bytes(serialization.Encoding.DER) != trusted:
                raise ServiceError(ua.StatusCodes.BadCertificateUntrusted)

        server.set_certificate_validator(validate)
        idx = await server.register_namespace(NS)
        for name in self.names:
            obj = await server.nodes.objects.add_object(idx, name)
            for var, kind in (("State", ua.VariantType.String), ("Alarm", ua.VariantType.String),
                              ("Total", ua.VariantType.Int64), ("Good", ua.VariantType.Int64),
                              ("Power", ua.VariantType.Double)):
                value = self.initial[var]
                node = await obj.add_variable(ua.NodeId(f"{name}.{var}", idx), var, ua.Variant(value, kind))
                await node.write_value(dv(value, self.first_ts, kind))
                self.nodes[(name, var)] = (node, kind)
                self.writes[(name, var)] = [value]
        await server.start()
        return self

    async def __aexit__(self, *exc):
        await self.server.stop()

    async def write(self, name: str, var: str, value, ts: datetime) -> None:
        node, kind = self.nodes[(name, var)]
        await node.write_value(dv(value, ts, kind))
        self.writes[(name, var)].append(value)

    def changes(self, name: str, vars_=("State", "Alarm", "Total", "Good")) -> int:
        """Notifications a client gets: the initial value, then each write that changes it."""
        return sum(1 + sum(a != b for a, b in zip(w, w[1:])) for (n, v), w in self.writes.items()
                   if n == name and v in vars_)

    async def play(self, name: str, readings: list[dict]) -> None:
        """An edge device's readings, as the machine's controller would show them."""
        for r in readings:
            ts = datetime.fromisoformat(r["ts"].replace("Z", "+00:00"))
            if "state" in r:
                await self.write(name, "Alarm", r.get("reason") or "", ts)
                await self.write(name, "State", r["state"], ts)
            if "total" in r:
                await self.write(name, "Total", r["total"], ts)
                await self.write(name, "Good", r["good"], ts)


def config(port, certs, machines, *, pin="server", client="client") -> opcua.Config:
    return opcua.parse_config({
        "publish_ms": 50, "flush_s": 0.5, "backoff_s": 0.2, "backoff_max_s": 1.0,
        "servers": [{"name": "sim", "endpoint": f"opc.tcp://127.0.0.1:{port}/machine/",
                     "security": {"policy": "Basic256Sha256", "mode": "SignAndEncrypt",
                                  "certificate": certs[client][0], "private_key": certs[client][1],
                                  **({"server_certificate": certs[pin][0]} if pin else {}),
                                  "application_uri": APP_URI},
                     "machines": machines}]})


def mapping(name: str, token: str, extra: dict | None = None, **more) -> dict:
    return {"name": name, "token": token, "nodes": {f"ns=2;s={name}.State": "state", f"ns=2;s={name}.Alarm": "alarm",
                                                    f"ns=2;s={name}.Total": "total", f"ns=2;s={name}.Good": "good",
                                                    **(extra or {})}, **more}


async def until(predicate, timeout=30.0):
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return predicate()


def test_a_shift_over_opc_ua_gives_the_same_oee_as_over_http(app, plant, certs):
    midnight = recent_workday_midnight_shanghai(2)  # planned by the default Mon-Fri calendar
    readings = _day_readings(midnight)  # setup, running, a breakdown (spindle_fault), a counter reset, off
    http = plant["devices"][0].post("/api/v1/telemetry", json={"readings": readings}).get_json()
    assert http["stored"] == len(readings) and http["rejected"] == []
    port = free_port()
    first = readings[0]  # what the controller shows when the connector comes: the first reading's values
    initial = {"State": first["state"], "Alarm": first["reason"], "Total": first["total"], "Good": first["good"]}

    async def scenario():
        async with Machine(certs, ["M2"], port, datetime.fromisoformat(first["ts"].replace("Z", "+00:00")), initial) as sim:
            connector = opcua.Connector(app, config(port, certs, [mapping("M2", plant["tokens"][1])]))
            task = asyncio.create_task(connector.run())
            assert await until(connector.connected["sim"].is_set), connector.errors
            await sim.play("M2", readings[1:])
            assert await until(lambda: connector.received >= sim.changes("M2")), (connector.received, sim.changes("M2"))
            connector.stop.set()
            await task
            return connector

    connector = asyncio.run(scenario())
    assert not connector.errors, connector.errors
    rollup(app)
    via_http, via_opcua = (_machine_days(app, m["id"]) for m in plant["machines"])
    shift_day = (midnight + timedelta(hours=8)).date()
    http_day = [d for d in via_http if d[0] == shift_day]
    assert http_day and http_day[0][5] > 0 and http_day[0][1] > 0
    assert [d for d in via_opcua if d[0] == shift_day] == http_day
    c = plant["client"]
    assert _intervals(c, plant["machines"][0]["id"], midnight) == _intervals(c, plant["machines"][1]["id"], midnight)
    day = shift_day.isoformat()
    oee = c.get(f"/api/v1/factories/{plant['factory']['id']}/oee?from={day}&to={day}&granularity=day").get_json()
    assert oee["periods"] and oee["periods"][0]["total"] == 2 * http_day[0][5]  # both machines counted alike


def _power_readings(app, machine_public_id):
    from market.catalog.models import Machine
    from market.db import unit_of_work
    from market.telemetry.models import Reading

    with app.app_context(), unit_of_work() as s:
        machine = s.scalar(select(Machine).where(Machine.public_id == uuid.UUID(machine_public_id)))
        return [r.power_kw for r in s.scalars(select(Reading).where(Reading.machine_id == machine.id,
                                                                    Reading.power_kw.is_not(None)).order_by(Reading.ts))]


def test_power_changes_inside_the_deadband_are_not_sent_and_an_unknown_node_is_counted_not_fatal(app, plant, certs):
    port = free_port()
    t0 = recent_workday_midnight_shanghai(1) + timedelta(hours=9)
    machine = mapping("M1", plant["tokens"][0], {"ns=2;s=M1.Power": "power_kw", "ns=2;s=M1.NoSuchNode": "temperature"},
                      deadband={"power_kw": 0.5}, states={"0": "idle", "1": "running"})

    async def scenario():
        async with Machine(certs, ["M1"], port, t0) as sim:
            connector = opcua.Connector(app, config(port, certs, [machine]))
            task = asyncio.create_task(connector.run())
            assert await until(connector.connected["sim"].is_set), connector.errors
            for i, kw in enumerate([10.2, 10.4, 11.0, 11.3, 9.0]):
                await sim.write("M1", "Power", kw, t0 + timedelta(minutes=i + 1))
            await sim.write("M1", "State", "1", t0 + timedelta(minutes=10))  # a controller's code, mapped
            await sim.write("M1", "State", "7", t0 + timedelta(minutes=11))  # no state: refused, counted
            assert await until(lambda: connector.errors[("M1", "value")] == 1)
            await asyncio.sleep(1.0)  # the last flush
            connector.stop.set()
            await task
            return connector

    connector = asyncio.run(scenario())
    assert connector.errors == {("M1", "unknown_node"): 1, ("M1", "value"): 1}
    # 0.0 at the start, then only moves of more than 0.5 kW (10.4 and 11.3 stay inside it)
    assert _power_readings(app, plant["machines"][0]["id"]) == [0.0, 10.2, 11.0, 9.0]
    from market.metrics import TELEMETRY_DEVICE_ERRORS
    assert TELEMETRY_DEVICE_ERRORS.labels("opcua", "M1", "unknown_node")._value.get() >= 1


@pytest.mark.parametrize("pin, who, reason", [
    ("other-server", "client", "certificate_mismatch"),  # the server is not the one pinned
    ("server", "stranger", "connection"),  # the server does not trust this connector
])
def test_a_certificate_mismatch_is_logged_counted_and_retried_never_a_crash(app, plant, certs, pin, who, reason):
    import logging

    class Keep(logging.Handler):
        def emit(self, record):
            logged.append(record.getMessage())

    logged, keep = [], Keep(logging.WARNING)
    port = free_port()
    t0 = recent_workday_midnight_shanghai(1) + timedelta(hours=9)

    async def scenario():
        async with Machine(certs, ["M1"], port, t0):
            connector = opcua.Connector(app, config(port, certs, [mapping("M1", plant["tokens"][0])], pin=pin, client=who))
            task = asyncio.create_task(connector.run())
            assert await until(lambda: connector.errors[("M1", reason)] >= 2, timeout=30), connector.errors
            assert not task.done() and not connector.connected["sim"].is_set()
            connector.stop.set()
            await task
            return connector

    logging.getLogger("market.telemetry.opcua").addHandler(keep)
    try:
        connector = asyncio.run(scenario())
    finally:
        logging.getLogger("market.telemetry.opcua").removeHandler(keep)
    assert set(connector.errors) == {("M1", reason)} and connector.stored == 0
    assert any(f"M1 rejected ({reason})" in line for line in logged), logged


@pytest.mark.parametrize("change, field", [
    (lambda d: d["servers"][0].update(endpoint="http://x"), "servers[0].endpoint"),
    (lambda d: d["servers"][0]["security"].update(policy="Basic128Rsa15"), "servers[0].security.policy"),
    (lambda d: d["servers"][0]["machines"][0]["nodes"].update({"ns=2;s=X": "speed"}), "servers[0].machines[0].nodes"),
    (lambda d: d["servers"][0]["machines"][0]["nodes"].pop("ns=2;s=M1.Good"), "servers[0].machines[0].nodes"),
    (lambda d: d["servers"][0]["machines"][0].update(states={"3": "broken"}), "servers[0].machines[0].states"),
    (lambda d: d["servers"][0]["machines"][0].update(deadband={"total": 1}), "servers[0].machines[0].deadband"),
    (lambda d: d["servers"][0]["machines"].append(d["servers"][0]["machines"][0]), "servers[0].machines[1].name"),
])
def test_a_bad_configuration_is_refused_naming_the_field(change, field):
    doc = {"servers": [{"endpoint": "opc.tcp://127.0.0.1:4840", "machines": [mapping("M1", "smmdev_x")],
                        "security": {"certificate": "c.pem", "private_key": "k.pem"}}]}
    change(doc)
    with pytest.raises(ValueError, match=field.replace("[", r"\[").replace("]", r"\]")):
        opcua.parse_config(doc)


def test_reconnect_waits_double_each_time_up_to_the_cap_with_jitter():
    import random
    rng = random.Random(7)
    waits = [opcua.backoff(n, 1.0, 30.0, rng) for n in range(1, 9)]
    for n, w in enumerate(waits, start=1):
        cap = min(30.0, 2 ** (n - 1))
        assert cap / 2 <= w <= cap


def test_changes_of_one_instant_make_one_reading_even_when_they_arrive_in_two_flushes():
    feed = opcua.Feed(opcua.MachineMap("M1", "smmdev_x", {}, {"2": "down"}))
    t0 = datetime(2026, 10, 14, 1, tzinfo=timezone.utc)
    t1 = t0 + timedelta(minutes=1)
    assert feed.change("total", 10, t0) is None and feed.change("good", 9, t0) is None
    assert feed.change("state", "2", t1) is None and feed.change("alarm", "spindle_fault", t1) is None
    # t1 is the newest instant and has just changed: it waits; t0 goes
    assert feed.take(settle_s=60) == [{"ts": t0.isoformat(), "total": 10, "good": 9}]
    assert feed.change("good", 8, t1) is None
    feed.change("total", 12, t1)
    assert feed.take() == [{"ts": t1.isoformat(), "state": "down", "reason": "spindle_fault", "total": 12, "good": 8}]
    assert feed.change("state", "exploded", t1) == "value 'exploded' is no state"
    assert feed.change("total", -1, t1) and feed.change("power_kw", "hot", t1) and not feed.pending


def test_the_cli_refuses_a_bad_configuration_file_naming_the_field(app, tmp_path):
    bad = tmp_path / "opcua.json"
    bad.write_text('{"servers": [{"endpoint": "opc.tcp://127.0.0.1:4840", "machines": [{"name": "M1", '
                   '"token": "smmdev_x", "nodes": {"ns=2;s=M1.Speed": "speed"}}]}]}')
    from market.telemetry.cli import telemetry_group

    result = app.test_cli_runner().invoke(telemetry_group, ["opcua", str(bad)])
    assert result.exit_code == 1 and "servers[0].machines[0].nodes" in result.output, result.output


def test_the_connector_reconnects_after_the_server_restarts_and_goes_on_ingesting(app, plant, certs):
    port = free_port()
    t0 = recent_workday_midnight_shanghai(1) + timedelta(hours=9)

    async def scenario():
        connector = opcua.Connector(app, config(port, certs, [mapping("M1", plant["tokens"][0])]))
        async with Machine(certs, ["M1"], port, t0) as sim:
            task = asyncio.create_task(connector.run())
            assert await until(connector.connected["sim"].is_set), connector.errors
            await sim.write("M1", "State", "running", t0 + timedelta(minutes=1))
            assert await until(lambda: connector.stored >= 2)  # the initial values, then running
        assert await until(lambda: connector.errors[("M1", "connection")] >= 1)  # the machine went away
        async with Machine(certs, ["M1"], port, t0 + timedelta(minutes=1), {"State": "running"}) as sim:
            assert await until(connector.connected["sim"].is_set), connector.errors
            await sim.write("M1", "State", "down", t0 + timedelta(minutes=5))
            await sim.write("M1", "Alarm", "hydraulics", t0 + timedelta(minutes=5))
            assert await until(lambda: connector.stored >= 3)
        connector.stop.set()
        await task
        return connector

    connector = asyncio.run(scenario())
    assert set(connector.errors) == {("M1", "connection")}
    from market.catalog.models import Machine as MachineRow
    from market.db import unit_of_work
    from market.telemetry.models import Reading

    with app.app_context(), unit_of_work() as s:
        machine = s.scalar(select(MachineRow).where(MachineRow.public_id == uuid.UUID(plant["machines"][0]["id"])))
        rows = [(r.ts - t0, r.state, r.reason) for r in s.scalars(select(Reading).where(
            Reading.machine_id == machine.id).order_by(Reading.ts))]
    assert rows == [(timedelta(0), "offline", None), (timedelta(minutes=1), "running", None),
                    (timedelta(minutes=5), "down", "hydraulics")]
