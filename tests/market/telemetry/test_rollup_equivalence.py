"""Aggregates are recomputed by the dirty-day rollup, off the ingest request: what reads see
after a rollup is what they saw when every ingest recomputed its days inline."""
from __future__ import annotations

import json
import os
from pathlib import Path

from tests.market.telemetry.conftest import rollup
from tests.market.telemetry.scenario import base_midnight, batches, snapshot

KNOWN = Path(__file__).with_name("known_aggregates.json")
EVERY_DAY = {str(d): [["07:00", "19:00"]] for d in range(7)}  # the snapshot must not depend on the weekday


def _play(app, plant, *, rollup_each_batch: bool) -> dict:
    client = plant["client"]
    assert client.put(f"/api/v1/factories/{plant['factory']['id']}/shift-calendar",
                      json={"weekly": EVERY_DAY}).status_code == 200
    assert client.put(f"/api/v1/machines/{plant['machines'][0]['id']}/telemetry-profile",
                      json={"ideal_cycle_s": 40}).status_code == 200
    base = base_midnight()
    for machine, readings in batches(base):
        response = plant["devices"][machine].post("/api/v1/telemetry", json={"readings": readings})
        assert response.status_code == 200, response.get_json()
        if rollup_each_batch:
            rollup(app)
    rollup(app)
    return snapshot(app, plant, base)


def _known() -> dict:
    return json.loads(KNOWN.read_text())


def test_a_rollup_after_every_batch_gives_what_the_inline_recompute_gave_ledger_corrections_included(app, plant):
    got = _play(app, plant, rollup_each_batch=True)
    if os.environ.get("WRITE_KNOWN_AGGREGATES"):  # run once against the inline implementation
        KNOWN.write_text(json.dumps(got, indent=1, sort_keys=True))
    known = _known()
    assert got["machine_days"] and any(c for _, c in got["corrections"])  # the scenario exercises both
    assert got == known


def test_one_rollup_after_all_the_batches_gives_the_same_figures(app, plant):
    got = _play(app, plant, rollup_each_batch=False)
    known = _known()
    for part in ("machine_days", "intervals", "factory_days"):
        assert got[part] == known[part], part
    assert all(c == 0 for _, c in got["corrections"])  # nothing was committed before its figures were final


def test_recomputing_every_day_again_changes_nothing(app, plant):
    from sqlalchemy import select

    from market.catalog.models import Machine
    from market.db import unit_of_work, utcnow
    from market.telemetry import dirty
    from market.telemetry.models import MachineDay

    before = _play(app, plant, rollup_each_batch=False)
    with app.app_context(), unit_of_work() as s:
        for machine_id, factory_id, day in s.execute(select(MachineDay.machine_id, Machine.factory_id, MachineDay.day)
                                                     .join(Machine, Machine.id == MachineDay.machine_id)).all():
            dirty.mark(s, machine_id, factory_id, {day}, utcnow())
        s.commit()
        assert dirty.pending(s) == len(before["machine_days"])
    assert rollup(app)["marks"] == len(before["machine_days"])
    assert snapshot(app, plant, base_midnight()) == before
