"""A factory with two machines, each with an enrolled device, and helpers to build readings."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import FACTORY


def iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def rollup(app) -> dict:
    """What `market telemetry rollup` does for the dirty days (tests run it explicitly)."""
    from market.telemetry import dirty

    with app.app_context():
        return dirty.drain()


@pytest.fixture
def plant(app, api, tenant):
    # aggregates are recomputed when a test says so (rollup(app)), not by a background thread
    app.config["TELEMETRY_ROLLUP_AFTER_INGEST"] = "off"
    owner = tenant("factory")
    client = api(owner)
    factory = client.post("/api/v1/factories", json={**FACTORY, "timezone": "Asia/Shanghai"}).get_json()
    machines, tokens = [], []
    for name in ("M1", "M2"):
        m = client.post("/api/v1/machines", json={"factory_id": factory["id"], "name": name,
                                                  "processes": ["cnc_milling_3ax"]}).get_json()
        d = client.post(f"/api/v1/machines/{m['id']}/devices", json={"name": f"gw-{name}"})
        assert d.status_code == 201, d.get_json()
        machines.append(m)
        tokens.append(d.get_json()["token"])
    return {"tenant": owner, "client": client, "factory": factory, "machines": machines, "tokens": tokens,
            "devices": [api(t) for t in tokens]}


_reference_now: list[datetime] = []


@pytest.fixture(autouse=True)
def frozen_reference_now():
    """One "now" per test for the helpers below, so a test that crosses a Shanghai midnight
    (16:00 UTC) while it runs still talks about the same days from its first line to its last."""
    _reference_now.append(datetime.now(timezone.utc))
    yield _reference_now[-1]
    _reference_now.clear()


def _now() -> datetime:
    return _reference_now[-1] if _reference_now else datetime.now(timezone.utc)


def recent_midnight_shanghai(days_ago: int = 2) -> datetime:
    """A local midnight in Asia/Shanghai (UTC+8, no DST) `days_ago` days back, in UTC. Any
    weekday: use it with a calendar that plans every day, or with `recent_workday_midnight_shanghai`."""
    day = (_now() + timedelta(hours=8)).date() - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc) - timedelta(hours=8)


def recent_workday_midnight_shanghai(days_ago: int = 2) -> datetime:
    """The latest Monday-to-Friday local midnight in Asia/Shanghai at least `days_ago` days
    back, in UTC, that is no public holiday: a day the default shift calendar (weekdays
    08:00-20:00) plans, whatever day of the year the test runs on."""
    from market.telemetry import holidays

    midnight = recent_midnight_shanghai(days_ago)
    while (midnight + timedelta(hours=8)).weekday() >= 5 or holidays.public_holiday((midnight + timedelta(hours=8)).date()):
        midnight -= timedelta(days=1)
    return midnight
