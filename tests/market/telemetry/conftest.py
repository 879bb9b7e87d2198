"""A factory with two machines, each with an enrolled device, and helpers to build readings."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import FACTORY


def iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


@pytest.fixture
def plant(api, tenant):
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


def recent_midnight_shanghai(days_ago: int = 2) -> datetime:
    """A local midnight in Asia/Shanghai (UTC+8, no DST) `days_ago` days back, in UTC."""
    now = datetime.now(timezone.utc) + timedelta(hours=8)
    day = now.date() - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc) - timedelta(hours=8)
