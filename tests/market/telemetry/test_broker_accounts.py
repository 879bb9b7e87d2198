"""Device authentication at the broker (#21) against a real Mosquitto started per test on
127.0.0.1 with `allow_anonymous false` and the password and ACL files written from the device
table: a device publishes on its own topic and is ingested without a token; it can neither
publish on nor read another device's topic; revoked, it can no longer connect."""
from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import threading
import time
import uuid
from datetime import timedelta

import pytest

from tests.ports import free_port
from tests.market.telemetry.conftest import iso, recent_workday_midnight_shanghai

SUBSCRIBER = ("market-ingest", "s3cret-ingest")



@pytest.fixture
def broker(app, plant, tmp_path):
    """Broker files configured, synced from the plant's devices, Mosquitto running on them."""
    if shutil.which("mosquitto") is None:
        pytest.skip("mosquitto is not installed")
    port = free_port()
    app.config.update(TELEMETRY_BROKER_PASSWORD_FILE=str(tmp_path / "passwd"),
                      TELEMETRY_BROKER_ACL_FILE=str(tmp_path / "acl"),
                      TELEMETRY_BROKER_PID_FILE=str(tmp_path / "mosquitto.pid"),
                      TELEMETRY_MQTT_TOPIC_PREFIX=f"t{uuid.uuid4().hex[:6]}/",
                      MQTT_URL=f"mqtt://{SUBSCRIBER[0]}:{SUBSCRIBER[1]}@127.0.0.1:{port}",
                      TELEMETRY_MQTT_DEVICE_AUTH="auto")
    from market.telemetry import broker_accounts

    with app.app_context():
        assert broker_accounts.sync_configured().devices == 2
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous false\npersistence false\n"
                    f"password_file {tmp_path / 'passwd'}\nacl_file {tmp_path / 'acl'}\n"
                    "user root\n")  # as root it would switch to `mosquitto`, who cannot read tmp_path
    proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    (tmp_path / "mosquitto.pid").write_text(str(proc.pid))  # mosquitto writes pid_file only as a daemon
    try:
        for _ in range(100):  # until it listens
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None:
                pytest.fail(f"mosquitto exited: {proc.stderr.read().decode()}")
            time.sleep(0.02)
        listing = plant["client"].get("/api/v1/devices").get_json()["items"]
        by_machine = {d["machine_id"]: d["id"] for d in listing}
        yield {"port": port, "prefix": app.config["TELEMETRY_MQTT_TOPIC_PREFIX"],
               "devices": [by_machine[m["id"]] for m in plant["machines"]]}
    finally:
        proc.terminate()
        proc.wait(5)


class Client:
    """A paho client that records what it receives and the outcome of its publishes."""

    def __init__(self, port: int, username: str, password: str):
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.received, self.got, self.connack = [], threading.Event(), threading.Event()
        self.refused = None
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex[:8]}", protocol=mqtt.MQTTv5)
        self.c.username_pw_set(username, password)
        self.c.on_connect = self._on_connect
        self.c.on_message = self._on_message
        self.c.connect("127.0.0.1", port)
        self.c.loop_start()

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        self.refused = reason_code.is_failure
        self.connack.set()

    def _on_message(self, client, userdata, msg):
        self.received.append((msg.topic, json.loads(msg.payload)))
        self.got.set()

    def connected(self) -> bool:
        assert self.connack.wait(5), "no CONNACK"
        return not self.refused

    def subscribe(self, topic: str):
        done = threading.Event()
        self.c.on_subscribe = lambda *a: done.set()
        self.c.subscribe(topic, qos=1)
        assert done.wait(5)

    def publish(self, topic: str, body) -> None:
        self.c.publish(topic, json.dumps(body), qos=1).wait_for_publish(5)

    def ack(self, topic: str) -> dict:
        """The acknowledgement on `topic`/ack (subscribe to it before publishing)."""
        assert self.got.wait(10), "no acknowledgement from the subscriber"
        self.got.clear()
        acks = [body for t, body in self.received if t == topic + "/ack"]
        assert acks, self.received
        return acks[-1]

    def close(self):
        self.c.loop_stop()
        self.c.disconnect()


def _subscriber(app):
    from market.telemetry.mqtt import Subscriber

    sub = Subscriber(app, url=app.config["MQTT_URL"], prefix=app.config["TELEMETRY_MQTT_TOPIC_PREFIX"], sweep_s=3600)
    thread = threading.Thread(target=sub.run, daemon=True)
    thread.start()
    assert sub.subscribed.wait(10), "the subscriber did not subscribe"
    return sub, thread


def _topic(broker, plant, i):
    from market.telemetry.topics import device_topic

    return device_topic(broker["prefix"], plant["factory"]["id"], plant["machines"][i]["id"], broker["devices"][i])


def _reading(minute: int) -> dict:
    t = recent_workday_midnight_shanghai(1) + timedelta(hours=9, minutes=minute)
    return {"ts": iso(t), "state": "running", "total": 10 + minute, "good": 10 + minute}


def test_a_device_is_ingested_from_its_own_topic_and_the_broker_refuses_it_another_devices_topic(app, plant, broker):
    sub, thread = _subscriber(app)
    assert sub.mode == "broker" and len(sub.filters) == 1
    a = Client(broker["port"], broker["devices"][0], plant["tokens"][0])
    b = Client(broker["port"], broker["devices"][1], plant["tokens"][1])
    try:
        assert a.connected() and b.connected()
        own, other = _topic(broker, plant, 0), _topic(broker, plant, 1)
        a.subscribe(own + "/ack")
        a.publish(own, {"readings": [_reading(0)]})  # no token: the broker vouched for A
        ack = a.ack(own)
        assert ack["status"] == 200 and ack["stored"] == 1, ack

        a.publish(other, {"readings": [_reading(1)]})  # the broker drops it
        a.publish(own, {"readings": [_reading(2)]})  # behind it in the same stream: once acked, B's was not
        assert a.ack(own)["stored"] == 1
        assert sub.handled == 2

        a.subscribe(other)  # refused or filtered by the ACL: A reads nothing of B's
        a.subscribe(other + "/ack")
        b.subscribe(other + "/ack")
        b.publish(other, {"readings": [_reading(3)]})
        assert b.ack(other)["stored"] == 1
        a.publish(own, {"readings": [_reading(4)]})  # a round trip after B's: anything of B's came first
        a.ack(own)
        assert [t for t, _ in a.received if not t.startswith(own)] == []
        assert sub.handled == 4
    finally:
        a.close(), b.close()
        sub.stop.set()
        thread.join(10)


def test_a_revoked_device_can_no_longer_connect_to_the_broker(app, plant, broker):
    a = Client(broker["port"], broker["devices"][0], plant["tokens"][0])
    assert a.connected()
    a.close()
    assert plant["client"].delete(f"/api/v1/devices/{broker['devices'][0]}").status_code == 200
    with open(app.config["TELEMETRY_BROKER_ACL_FILE"]) as f:
        acl = f.read()
    assert broker["devices"][0] not in acl and broker["devices"][1] in acl

    refused = False
    for _ in range(50):  # the broker reloads on SIGHUP from its own loop, a moment after the signal
        again = Client(broker["port"], broker["devices"][0], plant["tokens"][0])
        refused = not again.connected()
        again.close()
        if refused:
            break
        time.sleep(0.05)
    assert refused, "the revoked device still connects"
    b = Client(broker["port"], broker["devices"][1], plant["tokens"][1])
    assert b.connected(), "the other device lost its account"
    b.close()


def test_the_broker_hash_is_mosquitto_passwds_format():
    from market.telemetry.broker_accounts import mosquitto_hash, verify

    # `mosquitto_passwd -b pw alice secret` (mosquitto 2.0.11) wrote this line
    known = "$7$101$R0NxQdU1ov++4wsP$idNxX21mGJ8UQ0Adh5e2nLTrmXwN2mQd6xRQ2EtZbi+uMaxF4mJVLhzc1aZu4Z7NO899SHzgHS9jYaA44TYyZg=="
    assert mosquitto_hash("secret", salt=base64.b64decode("R0NxQdU1ov++4wsP")) == known
    assert verify("secret", known) and not verify("Secret", known) and not verify("secret", "$6$x$y")
    fresh = mosquitto_hash("smmdev_x")
    assert fresh != mosquitto_hash("smmdev_x") and verify("smmdev_x", fresh)


def test_the_acl_gives_each_device_its_own_topic_and_the_subscriber_the_tree(app, plant, tmp_path):
    from market.telemetry import broker_accounts

    app.config.update(TELEMETRY_BROKER_PASSWORD_FILE=str(tmp_path / "passwd"), TELEMETRY_BROKER_ACL_FILE=str(tmp_path / "acl"),
                      MQTT_URL="mqtt://ingest:pw@127.0.0.1:1", TELEMETRY_MQTT_TOPIC_PREFIX="p/")
    with app.app_context():
        first = broker_accounts.sync_configured()
        again = broker_accounts.sync_configured()
    assert (first.devices, first.changed, again.changed) == (2, True, False)  # unchanged: no reload
    devices = {d["machine_id"]: d["id"] for d in plant["client"].get("/api/v1/devices").get_json()["items"]}
    f, (m1, m2) = plant["factory"]["id"], (m["id"] for m in plant["machines"])
    acl = (tmp_path / "acl").read_text()
    assert f"user {devices[m1]}\ntopic write p/factories/{f}/machines/{m1}/devices/{devices[m1]}/telemetry\n" \
           f"topic read p/factories/{f}/machines/{m1}/devices/{devices[m1]}/telemetry/ack\n" in acl
    assert "user ingest\ntopic write p/factories/+/machines/+/devices/+/telemetry/ack\n" \
           "topic read p/factories/+/machines/+/devices/+/telemetry\n" in acl
    users = dict(line.split(":", 1) for line in (tmp_path / "passwd").read_text().splitlines())
    assert broker_accounts.verify(plant["tokens"][0], users[devices[m1]]) and broker_accounts.verify("pw", users["ingest"])

    # retiring a machine revokes its device, and the broker files follow the commit
    assert plant["client"].patch(f"/api/v1/machines/{m2}", json={"status": "retired"}).status_code == 200
    users = dict(line.split(":", 1) for line in (tmp_path / "passwd").read_text().splitlines())
    assert set(users) == {"ingest", devices[m1]} and devices[m2] not in (tmp_path / "acl").read_text()


@pytest.mark.parametrize("mode, topic_kind, status", [
    ("broker", "machine", 403),  # a token in the payload is not enough once the broker vouches
    ("token", "device", 403),  # a broker without accounts vouches for nobody
    ("both", "machine", 200),
])
def test_which_topic_form_is_trusted_follows_the_device_auth_mode(app, plant, mode, topic_kind, status):
    from market.telemetry import mqtt, topics

    devices = {d["machine_id"]: d["id"] for d in plant["client"].get("/api/v1/devices").get_json()["items"]}
    f, m = plant["factory"]["id"], plant["machines"][0]["id"]
    topic = topics.machine_topic("", f, m) if topic_kind == "machine" else topics.device_topic("", f, m, devices[m])
    body = json.dumps({"token": plant["tokens"][0], "readings": [_reading(0)]}).encode()
    with app.app_context():
        assert mqtt.handle("", topic, body, mode=mode)["status"] == status


def test_a_message_on_a_revoked_devices_topic_is_refused_even_if_the_broker_still_delivers_it(app, plant):
    from market.telemetry import mqtt, topics

    devices = {d["machine_id"]: d["id"] for d in plant["client"].get("/api/v1/devices").get_json()["items"]}
    f, m = plant["factory"]["id"], plant["machines"][0]["id"]
    plant["client"].delete(f"/api/v1/devices/{devices[m]}")
    with app.app_context():
        ack = mqtt.handle("", topics.device_topic("", f, m, devices[m]), json.dumps([_reading(0)]).encode(), mode="broker")
    assert ack["status"] == 401
