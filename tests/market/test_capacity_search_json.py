"""Capacity search builds its JSON by hand (market/catalog/search.py: hit_json): it must be what
the declared schema (page_schema(HitOut)) dumps from the same page, with distances, series,
missing tolerances, several processes, and totals counted without the joins."""
from datetime import datetime, timedelta, timezone

import pytest

from market.api_common import page_schema
from market.catalog import schemas as sc
from market.catalog.search import CapacityQuery, page_json, search_capacity
from tests.conftest import FACTORY

pytestmark = pytest.mark.postgres  # on PostgreSQL too: the `= ANY(array)` machine filter and its count


def test_search_pages_are_what_the_schema_dumps(app, api, tenant):
    owner, buyer = api(tenant("factory")), api(tenant("buyer"))
    factory = owner.post("/api/v1/factories", json=FACTORY).get_json()
    start = datetime(2031, 3, 3, 8, tzinfo=timezone.utc)
    for n in range(5):
        machine = owner.post("/api/v1/machines", json={
            "factory_id": factory["id"], "name": f"VF-{n}", "model": "Haas" if n % 2 else "",
            "processes": ["cnc_milling_3ax", "drilling_tapping"][: 1 + n % 2],
            **({"tolerance_um": 5} if n % 2 else {})}).get_json()
        assert owner.post("/api/v1/capacity-windows", json={
            "machine_id": machine["id"], "start": (start + timedelta(days=n)).isoformat(),
            "end": (start + timedelta(days=n, hours=8)).isoformat(),
            "pricing_mode": "per_hour", "price": 20000 + n}).status_code == 201
    queries = [{"process": "cnc_milling_3ax", "per_page": 2}, {"process": "cnc_milling_3ax", "per_page": 2, "page": 3},
               {"process": "drilling_tapping"}, {"latitude": 31.0, "longitude": 121.0, "radius_km": 100.0},
               {"pricing_mode": "per_hour", "max_price": 20002, "per_page": 1, "sort": "price"}, {"per_page": 3}]
    schema = page_schema(sc.HitOut)()
    for q in queries:
        with app.test_request_context():
            page = search_capacity(CapacityQuery(**q))
            assert page_json(page) == schema.dump(page), q
    body = buyer.get("/api/v1/capacity/search?process=cnc_milling_3ax&per_page=2").get_json()
    assert (body["total"], body["pages"], len(body["items"])) == (5, 3, 2)
    near = buyer.get("/api/v1/capacity/search?lat=31&lon=121&radius_km=100&per_page=1").get_json()
    assert near["total"] == 5 and near["items"][0]["distance_km"] > 0
    priced = buyer.get("/api/v1/capacity/search?pricing_mode=per_hour&max_price=20002&per_page=2").get_json()
    assert priced["total"] == 3
