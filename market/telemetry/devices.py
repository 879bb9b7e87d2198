"""Device credentials: one per enrolled edge device, bound to one machine. The token is
shown once; only its SHA-256 is stored (as for API tokens), and Mosquitto's hash of it, since
it is also the device's MQTT password (username: the device's public id). Revoking is
immediate here and, once committed, at the broker (broker_accounts)."""
from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from market import errors, policy
from market.auth import Actor
from market.catalog.access import own_machines
from market.catalog.models import Factory, Machine
from market.db import unit_of_work, utcnow
from market.telemetry import broker_accounts, topics
from market.telemetry.models import Device

TOKEN_PREFIX = "smmdev_"


@dataclass(frozen=True)
class DeviceAuth:
    """An authenticated device: what ingest needs, nothing more."""

    device_id: int
    machine_id: int
    factory_id: int
    organization_id: int
    machine_public_id: uuid.UUID
    factory_public_id: uuid.UUID


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def enroll(actor: Actor, machine_public_id: uuid.UUID, name: str) -> tuple[Device, str]:
    """Returns the device and its plaintext token (never stored, never shown again)."""
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with unit_of_work() as s:
        machine = s.scalar(select(Machine).where(Machine.public_id == machine_public_id, own_machines(actor)))
        if machine is None:
            raise errors.NotFound(f"machine {machine_public_id} not found")
        policy.require_kind(actor, "factory")
        if machine.status == "retired":
            raise errors.Conflict("a retired machine cannot enroll devices", field="machine_id")
        device = Device(machine_id=machine.id, factory_id=machine.factory_id, organization_id=machine.factory.organization_id,
                        created_by_id=actor.user_id, name=(name or "").strip()[:100] or "edge device",
                        prefix=plaintext[:12], token_hash=_sha256(plaintext),
                        mqtt_password_hash=broker_accounts.mosquitto_hash(plaintext))
        s.add(device)
        s.flush()
        broker_accounts.sync_after_commit(s, device.id)
        s.commit()
        s.refresh(device)
        return device, plaintext


def mqtt_topic(device: Device) -> str:
    """The one topic the device's broker account may publish readings on."""
    return topics.device_topic(current_app.config["TELEMETRY_MQTT_TOPIC_PREFIX"], device.machine.factory.public_id,
                               device.machine.public_id, device.public_id)


def own_devices(actor: Actor):
    return policy.own_rows(actor, Device.organization_id)


def list_devices(actor: Actor, machine_public_id: uuid.UUID | None = None) -> list[Device]:
    with unit_of_work() as s:
        stmt = select(Device).where(own_devices(actor)).order_by(Device.id.desc())
        if machine_public_id:
            stmt = stmt.where(Device.machine.has(Machine.public_id == machine_public_id))
        return list(s.scalars(stmt))


def get_device(actor: Actor, public_id: uuid.UUID) -> Device:
    with unit_of_work() as s:
        device = s.scalar(select(Device).where(Device.public_id == public_id, own_devices(actor)))
        if device is None:
            raise errors.NotFound(f"device {public_id} not found")
        return device


def revoke(actor: Actor, public_id: uuid.UUID) -> Device:
    with unit_of_work() as s:
        device = s.scalar(select(Device).where(Device.public_id == public_id, own_devices(actor)).with_for_update(of=Device))
        if device is None:
            raise errors.NotFound(f"device {public_id} not found")
        device.revoked_at = device.revoked_at or utcnow()
        broker_accounts.sync_after_commit(s, device.id)
        s.commit()
        return device


def revoke_for_machine(s: Session, machine_id: int) -> None:
    """Revoke every device of a machine, in the caller's transaction (the machine was retired)."""
    s.execute(update(Device).where(Device.machine_id == machine_id, Device.revoked_at.is_(None))
              .values(revoked_at=utcnow()))
    broker_accounts.sync_after_commit(s, None)


def authenticate(plaintext: str | None) -> DeviceAuth | None:
    if not plaintext or not plaintext.startswith(TOKEN_PREFIX):
        return None
    return _unrevoked(Device.token_hash == _sha256(plaintext))


def authenticate_account(device_public_id: uuid.UUID) -> DeviceAuth | None:
    """The device behind a broker account (its MQTT username), unless revoked: for a message
    on the device's own topic, which only that account may publish to."""
    return _unrevoked(Device.public_id == device_public_id)


def _unrevoked(where) -> DeviceAuth | None:
    with unit_of_work() as s:
        row = s.execute(select(Device.id, Device.machine_id, Device.factory_id, Device.organization_id,
                               Device.revoked_at, Machine.public_id, Factory.public_id)
                        .join(Machine, Machine.id == Device.machine_id).join(Factory, Factory.id == Device.factory_id)
                        .where(where)).first()
    if row is None or row[4] is not None:
        return None
    return DeviceAuth(row[0], row[1], row[2], row[3], row[5], row[6])


def enroll_trusted(machine_id: int, name: str) -> str:
    """Enroll a device without an actor: for the operator's own tools (the simulator CLI and
    the demo seed), which already hold database access. Returns the token."""
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with unit_of_work() as s:
        machine = s.get(Machine, machine_id)
        s.add(Device(machine_id=machine.id, factory_id=machine.factory_id, organization_id=machine.factory.organization_id,
                     name=name[:100], prefix=plaintext[:12], token_hash=_sha256(plaintext),
                     mqtt_password_hash=broker_accounts.mosquitto_hash(plaintext)))
        broker_accounts.sync_after_commit(s, machine.id)
        s.commit()
    return plaintext
