"""Driving the simulator: which machines, how each behaves, and where the readings go
(straight into the database, POST /api/v1/telemetry, or MQTT), at accelerated time."""
from __future__ import annotations

import heapq
import json
import time
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import select

from market.catalog.models import Factory, Machine
from market.db import unit_of_work, utcnow, write_lock
from market.telemetry import devices, rollup
from market.telemetry.ingest import insert_direct
from market.telemetry.models import MachineProfile
from market.telemetry.simulator import Behaviour, readings

# ideal cycle time per part by process family (seconds), used when a machine has no profile
CYCLES = {"injection_molding": 28, "smt_assembly": 20, "laser_cutting": 90, "press_brake_bending": 45,
          "cnc_milling_5ax": 420, "cnc_milling_3ax": 240, "cnc_turning": 150, "swiss_turning": 75,
          "cmm_inspection": 600, "heat_treatment": 1800, "mechanical_assembly": 120}


@dataclass(frozen=True)
class Target:
    machine_id: int
    public_id: uuid.UUID
    factory_id: int
    factory_public_id: uuid.UUID
    timezone: str
    weekly: dict
    behaviour: Behaviour


def _behaviour(machine: Machine, ideal_ms: int | None, n: int) -> Behaviour:
    ideal = ideal_ms / 1000 if ideal_ms else next((CYCLES[p] for p in machine.processes if p in CYCLES), 60)
    # machines differ: some are older, some shops are better organised
    return Behaviour(ideal_cycle_s=ideal, speed_loss=0.04 + 0.03 * (n % 4), reject_rate=0.005 + 0.007 * (n % 3),
                     stops_per_hour=0.8 + 0.4 * (n % 3), mtbf_h=35 + 15 * (n % 4))


def targets(machine_public_ids: list[str], factory_public_id: str | None) -> list[Target]:
    with unit_of_work() as s:
        stmt = select(Machine).order_by(Machine.id)
        if factory_public_id:
            stmt = stmt.where(Machine.factory.has(Factory.public_id == uuid.UUID(factory_public_id)))
        elif machine_public_ids:
            stmt = stmt.where(Machine.public_id.in_([uuid.UUID(m) for m in machine_public_ids]))
        else:
            return []
        out = []
        for machine in s.scalars(stmt):
            ideal = s.scalar(select(MachineProfile.ideal_cycle_ms).where(MachineProfile.machine_id == machine.id))
            out.append(Target(machine.id, machine.public_id, machine.factory_id, machine.factory.public_id,
                              machine.factory.timezone, rollup.weekly_calendar(s, machine.factory_id),
                              _behaviour(machine, ideal, machine.id)))
        return out


def load_direct(target: Target, batch: list) -> dict:
    """Trusted bulk load (simulator --via db, demo seed): insert, recompute the days touched."""
    now = utcnow()
    with unit_of_work() as s:
        write_lock(s)
        s.scalar(select(Machine.id).where(Machine.id == target.machine_id).with_for_update(of=Machine))
        stored = insert_direct(s, target.machine_id, batch)
        days = rollup.affected_days(s, target.machine_id, target.timezone, [r.ts for r in batch])
        rollup.recompute_machine(s, target.machine_id, days, now)
        recomputed = rollup.recompute_factory(s, target.factory_id, days, now)
        rollup.summarize(s, target.factory_id, now, recomputed)
        s.commit()
    return {"stored": stored}


def _wire(r) -> dict:
    out = {"ts": r.ts.isoformat()}
    for k in ("state", "reason", "total", "good"):
        if getattr(r, k) is not None:
            out[k] = getattr(r, k)
    return out


def sender(via: str, url: str, targets: list[Target], prefix: str = "") -> Callable[[Target, list], dict]:
    if via == "db":
        return load_direct
    tokens = {t.machine_id: devices.enroll_trusted(t.machine_id, f"simulator {utcnow():%Y-%m-%d %H:%M}") for t in targets}
    if via == "http":
        def post(target: Target, batch: list) -> dict:
            body = json.dumps({"readings": [_wire(r) for r in batch]}).encode()
            request = urllib.request.Request(url.rstrip("/") + "/api/v1/telemetry", data=body, method="POST", headers={
                "Authorization": f"Bearer {tokens[target.machine_id]}", "Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())
        return post
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from market.telemetry.mqtt import Broker, topic_for

    broker = Broker.parse(url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"simulator-{uuid.uuid4().hex[:8]}", protocol=mqtt.MQTTv5)
    if broker.username:
        client.username_pw_set(broker.username, broker.password)
    client.connect(broker.host, broker.port)
    client.loop_start()

    def publish(target: Target, batch: list) -> dict:
        topic = topic_for(prefix, target.factory_public_id, target.public_id)
        info = client.publish(topic, json.dumps({"token": tokens[target.machine_id],
                                                 "readings": [_wire(r) for r in batch]}), qos=1)
        info.wait_for_publish(timeout=30)
        return {"published": len(batch)}
    return publish


def play(targets: list[Target], send: Callable, *, hours: float, speed: float = 0.0, batch: int = 2000, seed: int = 1,
         progress: Callable[[str], None] = lambda _: None, end: datetime | None = None) -> dict:
    """Simulate [end - hours, end) for every target. speed 0: as fast as possible, in batches;
    otherwise the simulated clock runs `speed` times faster than the real one and readings
    are sent as it passes them (buffered up to `batch` per machine)."""
    end = end or utcnow()
    start = end - timedelta(hours=hours)
    streams = [((r.ts, i, r) for r in readings(t.weekly, t.timezone, start, end, t.behaviour, seed * 1000 + t.machine_id))
               for i, t in enumerate(targets)]
    buffers: dict[int, list] = {i: [] for i in range(len(targets))}
    sent = 0
    t0 = time.monotonic()

    def flush(i):
        nonlocal sent
        if buffers[i]:
            send(targets[i], buffers[i])
            sent += len(buffers[i])
            buffers[i] = []

    for ts, i, r in heapq.merge(*streams):
        if speed > 0:
            due = t0 + (ts - start).total_seconds() / speed
            if due > time.monotonic():
                for j in buffers:
                    flush(j)
                time.sleep(max(0.0, due - time.monotonic()))
        buffers[i].append(r)
        if len(buffers[i]) >= batch:
            flush(i)
            progress(f"{sent} readings sent (simulated clock {ts:%Y-%m-%d %H:%M} UTC)")
    for i in buffers:
        flush(i)
    return {"machines": len(targets), "readings": sent, "seconds": round(time.monotonic() - t0, 2)}


def ensure_profiles(machine_ids: list[int]) -> None:
    """Give machines without a profile the typical ideal cycle of their process (demo)."""
    with unit_of_work() as s:
        have = set(s.scalars(select(MachineProfile.machine_id).where(MachineProfile.machine_id.in_(machine_ids))))
        for machine in s.scalars(select(Machine).where(Machine.id.in_(machine_ids))):
            if machine.id not in have:
                cycle = next((CYCLES[p] for p in machine.processes if p in CYCLES), 60)
                s.add(MachineProfile(machine_id=machine.id, ideal_cycle_ms=cycle * 1000))
        s.commit()


def load_history(machine_ids: list[int], *, days: int, seed: int = 7, end: datetime | None = None) -> int:
    """The demo's history: `days` of simulated readings per machine, bulk-loaded and rolled
    up, one transaction per factory (so each closed day is summarised once). Returns the
    number of readings."""
    end = end or utcnow()
    with unit_of_work() as s:
        pids = [str(p) for p in s.scalars(select(Machine.public_id).where(Machine.id.in_(machine_ids)))]
    by_factory: dict[int, list[Target]] = {}
    for target in targets(pids, None):
        by_factory.setdefault(target.factory_id, []).append(target)
    total = 0
    for factory_id, group in by_factory.items():
        with unit_of_work() as s:
            write_lock(s)
            all_days = set()
            for target in group:
                stream = list(readings(target.weekly, target.timezone, end - timedelta(days=days), end,
                                       target.behaviour, seed * 1000 + target.machine_id))
                insert_direct(s, target.machine_id, stream)
                day_set = rollup.affected_days(s, target.machine_id, target.timezone, [r.ts for r in stream])
                all_days |= rollup.recompute_machine(s, target.machine_id, day_set, end)
                total += len(stream)
            recomputed = rollup.recompute_factory(s, factory_id, all_days, end)
            rollup.summarize(s, factory_id, end, recomputed)
            s.commit()
    return total
