"""Device accounts at the MQTT broker (#21): Mosquitto's `password_file` and `acl_file`
written from the device table, so the broker itself authenticates every device and lets it
publish only on its own topic and read only its own acknowledgements; the subscriber's account
(the user of MQTT_URL) reads the device tree and writes the acknowledgements. Anything else
(another device's topic, subscribing to the tree) the broker refuses.

A device's MQTT username is its public id and its password is its device token: one secret,
shown once, revoked once. The token is kept as Mosquitto's own hash (PBKDF2-SHA512, the `$7$`
format of `mosquitto_passwd`), made at enrollment when the plaintext is at hand.

`sync()` rewrites both files (atomically, under a lock file, from a read made inside the lock
so the last writer has the newest committed state) and sends the broker SIGHUP when they
changed: Mosquitto reloads them and disconnects clients whose password no longer matches.
Enrolling, revoking and retiring a machine sync after their commit; `market telemetry
broker-sync` (cron) repairs whatever a failed sync left."""
from __future__ import annotations

import base64
import fcntl
import hashlib
import hmac
import logging
import os
import re
import secrets
import signal
import tempfile
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.catalog.models import Factory, Machine
from market.db import after_commit, unit_of_work
from market.telemetry import topics
from market.telemetry.models import Device

log = logging.getLogger("market.telemetry.broker")
ITERATIONS = 101  # mosquitto_passwd's default; the token is 32 random bytes, not a guessable password
SALT_BYTES = 12
_SAFE = re.compile(r"^[^\s:#+]*$")  # no field separator of either file, no wildcard


def mosquitto_hash(password: str, *, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    """`$7$iterations$salt$hash`, base64, as `mosquitto_passwd` writes it."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify(password: str, hashed: str) -> bool:
    try:
        _, seven, iterations, salt, digest = hashed.split("$")
        if seven != "7":
            return False
        expected = hashlib.pbkdf2_hmac("sha512", password.encode(), base64.b64decode(salt), int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(expected, base64.b64decode(digest))


@dataclass(frozen=True)
class Account:
    username: str
    password_hash: str
    write: tuple[str, ...]
    read: tuple[str, ...]


@dataclass(frozen=True)
class SyncResult:
    devices: int
    without_account: int  # enrolled before broker accounts: re-enroll them
    changed: bool
    signalled: bool

    def to_dict(self) -> dict:
        return {"devices": self.devices, "without_account": self.without_account, "changed": self.changed,
                "signalled": self.signalled}


def _check(what: str, value: str) -> str:
    if not value or not _SAFE.match(value):
        raise ValueError(f"{what} {value!r} cannot go into Mosquitto's files (whitespace, ':', '#' or '+')")
    return value


def device_accounts(s: Session, prefix: str, mode: topics.Mode) -> tuple[list[Account], int]:
    """Accounts of the unrevoked devices, and how many of them have no broker password yet."""
    rows = s.execute(select(Device.public_id, Device.mqtt_password_hash, Machine.public_id, Factory.public_id)
                     .join(Machine, Machine.id == Device.machine_id).join(Factory, Factory.id == Device.factory_id)
                     .where(Device.revoked_at.is_(None)).order_by(Device.id)).all()
    accounts, missing = [], 0
    for device_id, hashed, machine_id, factory_id in rows:
        if not hashed:
            missing += 1
            continue
        own = topics.device_topic(prefix, factory_id, machine_id, device_id)
        write, read = [own], [own + "/ack"]
        if mode == "both":  # while its firmware still sends the token on the machine topic
            legacy = topics.machine_topic(prefix, factory_id, machine_id)
            write.append(legacy)
            read.append(legacy + "/ack")
        accounts.append(Account(str(device_id), hashed, tuple(write), tuple(read)))
    return accounts, missing


def subscriber_account(url: str, prefix: str, mode: topics.Mode, secret: str) -> Account | None:
    """The subscriber's account from MQTT_URL (None without a username). Its salt is derived
    from SECRET_KEY so an unchanged password gives an unchanged file (and no reload)."""
    u = urlparse(url)
    if not u.username:
        return None
    username, password = _check("MQTT_URL username", unquote(u.username)), unquote(u.password or "")
    salt = hmac.new(secret.encode(), b"mqtt-subscriber:" + username.encode(), hashlib.sha256).digest()[:SALT_BYTES]
    trees = topics.filters(prefix, mode)
    return Account(username, mosquitto_hash(password, salt=salt), tuple(t + "/ack" for t in trees), tuple(trees))


def render(accounts: list[Account]) -> tuple[str, str]:
    """(password file, ACL file). No `topic` line outside a `user` block: anonymous and
    unlisted clients may do nothing."""
    passwords, acl = [], ["# written by `market telemetry broker-sync`: edits are overwritten"]
    for a in accounts:
        passwords.append(f"{_check('username', a.username)}:{a.password_hash}")
        acl.append(f"\nuser {a.username}")
        acl += [f"topic write {t}" for t in a.write]
        acl += [f"topic read {t}" for t in a.read]
    return "\n".join(passwords) + "\n", "\n".join(acl) + "\n"


def _write_if_changed(path: str, text: str) -> bool:
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return False
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".broker-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o640)  # the broker's group reads it; nobody else
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return True


def _reload(pid_file: str | None) -> bool:
    if not pid_file:
        return False
    try:
        with open(pid_file, encoding="ascii") as f:
            os.kill(int(f.read().strip()), signal.SIGHUP)
        return True
    except (OSError, ValueError) as exc:
        log.warning("could not signal the MQTT broker to reload", extra={"pid_file": pid_file, "error": str(exc)})
        return False


def sync(*, password_file: str, acl_file: str, pid_file: str | None, prefix: str, mode: topics.Mode,
         subscriber_url: str, secret: str) -> SyncResult:
    _check("topic prefix", prefix)
    with open(password_file + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        with unit_of_work() as s:
            accounts, missing = device_accounts(s, prefix, mode)
        subscriber = subscriber_account(subscriber_url, prefix, mode, secret)
        passwords, acl = render(([subscriber] if subscriber else []) + accounts)
        # the ACL first: a new password never works before its ACL exists
        changed = _write_if_changed(acl_file, acl)
        changed = _write_if_changed(password_file, passwords) or changed
        signalled = _reload(pid_file) if changed else False
    return SyncResult(len(accounts) + missing, missing, changed, signalled)


def configured() -> bool:
    cfg = current_app.config
    return bool(cfg.get("TELEMETRY_BROKER_PASSWORD_FILE") and cfg.get("TELEMETRY_BROKER_ACL_FILE"))


def sync_configured() -> SyncResult:
    """`sync()` with the app's settings (TELEMETRY_BROKER_PASSWORD_FILE, _ACL_FILE, _PID_FILE)."""
    cfg = current_app.config
    if not configured():
        raise ValueError("set TELEMETRY_BROKER_PASSWORD_FILE and TELEMETRY_BROKER_ACL_FILE to write broker accounts")
    return sync(password_file=cfg["TELEMETRY_BROKER_PASSWORD_FILE"], acl_file=cfg["TELEMETRY_BROKER_ACL_FILE"],
                pid_file=cfg.get("TELEMETRY_BROKER_PID_FILE"), prefix=cfg.get("TELEMETRY_MQTT_TOPIC_PREFIX", ""),
                mode=topics.mode(cfg), subscriber_url=cfg.get("MQTT_URL") or "", secret=str(cfg["SECRET_KEY"]))


def sync_after_commit(session: Session, device_id) -> None:
    """The broker follows an enroll, revoke or retirement once it committed (nothing to do
    when no broker files are configured). A failure is logged: the cron sync repairs it."""
    if configured():
        after_commit(session, "telemetry_broker_sync", device_id, _sync_now)


def _sync_now(_ids) -> None:
    try:
        sync_configured()
    except Exception:
        log.exception("broker account sync failed; `market telemetry broker-sync` will retry")
