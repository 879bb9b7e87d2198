from datetime import datetime, timedelta, timezone

from tests.conftest import FACTORY


def _next_monday():
    today = datetime.now(timezone.utc).date()
    return today + timedelta(days=7 - today.weekday())


def test_factory_publishes_a_machine_and_a_recurring_night_shift(api, tenant):
    owner = api(tenant("factory"))
    factory = owner.post("/api/v1/factories", json=FACTORY)
    assert factory.status_code == 201, factory.get_json()
    machine = owner.post("/api/v1/machines", json={
        "factory_id": factory.get_json()["id"], "name": "Mill 1", "processes": ["cnc_milling_5ax"],
        "hourly_rate_minor": 45000, "envelope_x_mm": 650, "tolerance_um": 5})
    assert machine.status_code == 201, machine.get_json()
    created = owner.post("/api/v1/capacity-windows/recurring", json={
        "machine_id": machine.get_json()["id"], "first_date": _next_monday().isoformat(), "weeks": 8,
        "weekdays": [0, 1, 2, 3, 4], "start_time": "22:00", "end_time": "06:00",
        "pricing_mode": "per_hour", "price": 40000, "min_lot": 1, "lead_time_days": 2})
    assert created.status_code == 201, created.get_json()
    windows = created.get_json()
    assert len(windows) == 40
    first = windows[0]
    # 22:00 in Shanghai (UTC+8) is 14:00 UTC, and the shift ends 8 hours later
    assert first["start"].endswith("14:00:00+00:00")
    start, end = datetime.fromisoformat(first["start"]), datetime.fromisoformat(first["end"])
    assert end - start == timedelta(hours=8)
    assert len({w["series_id"] for w in windows}) == 1


def test_overlapping_window_on_the_same_machine_is_refused_with_409(supply):
    w = supply["window"]
    start = datetime.fromisoformat(w["start"]) + timedelta(hours=2)
    response = supply["client"].post("/api/v1/capacity-windows", json={
        "machine_id": supply["machine"]["id"], "start": start.isoformat(),
        "end": (start + timedelta(hours=8)).isoformat(), "pricing_mode": "per_hour", "price": 100})
    assert response.status_code == 409
    body = response.get_json()
    assert response.content_type == "application/problem+json"
    assert w["id"] in body["detail"] and "start" in body["errors"]


def test_a_recurring_rule_that_clashes_writes_no_window_at_all(supply):
    client, machine = supply["client"], supply["machine"]
    before = client.get(f"/api/v1/capacity-windows?machine_id={machine['id']}").get_json()["total"]
    clash_day = datetime.fromisoformat(supply["window"]["start"]).astimezone(timezone(timedelta(hours=8))).date()
    response = client.post("/api/v1/capacity-windows/recurring", json={
        "machine_id": machine["id"], "first_date": (clash_day - timedelta(days=3)).isoformat(), "weeks": 2,
        "weekdays": list(range(7)), "start_time": "00:00", "end_time": "23:59", "pricing_mode": "per_hour", "price": 1})
    assert response.status_code == 409
    assert client.get(f"/api/v1/capacity-windows?machine_id={machine['id']}").get_json()["total"] == before


def test_window_without_offset_is_read_in_the_factory_time_zone(supply):
    day = (datetime.now(timezone.utc) + timedelta(days=20)).date()
    response = supply["client"].post("/api/v1/capacity-windows", json={
        "machine_id": supply["machine"]["id"], "start": f"{day}T08:00:00", "end": f"{day}T12:00:00",
        "pricing_mode": "per_piece", "price": 150, "min_lot": 500})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["start"] == f"{day}T00:00:00+00:00"


def test_withdrawn_window_disappears_from_search(supply, api, tenant):
    buyer = api(tenant("buyer"))
    found = buyer.get("/api/v1/capacity/search?process=cnc_milling_3ax").get_json()
    assert [h["window"]["id"] for h in found["items"]] == [supply["window"]["id"]]
    assert supply["client"].delete(f"/api/v1/capacity-windows/{supply['window']['id']}").status_code == 200
    assert buyer.get("/api/v1/capacity/search?process=cnc_milling_3ax").get_json()["total"] == 0


def test_search_filters_by_process_region_distance_certification_and_price(supply, api, tenant):
    buyer = api(tenant("buyer"))

    def total(query):
        response = buyer.get(f"/api/v1/capacity/search?{query}")
        assert response.status_code == 200, response.get_json()
        return response.get_json()["total"]

    assert total("process=cnc_milling_3ax") == 1
    assert total("process=injection_molding") == 0
    assert total("process_class=machining") == 1
    assert total("region=Suzhou") == 1 and total("region=Dongguan") == 0
    assert total("lat=31.31&lon=120.62&radius_km=10") == 1
    assert total("lat=22.8&lon=113.8&radius_km=50") == 0  # Dongguan is ~1,200 km away
    assert total("certification=ISO9001") == 1 and total("certification=AS9100") == 0
    assert total("pricing_mode=per_hour&max_price=20000") == 1
    assert total("pricing_mode=per_hour&max_price=19999") == 0
    start = datetime.fromisoformat(supply["window"]["start"])
    assert total("to=" + (start - timedelta(hours=1)).isoformat().replace("+", "%2B")) == 0
    hit = buyer.get("/api/v1/capacity/search?lat=31.31&lon=120.62&radius_km=10").get_json()["items"][0]
    assert hit["factory"]["name"] == FACTORY["name"] and 0 < hit["distance_km"] < 10
    assert "address" not in hit["factory"]  # the public face only


def test_a_machine_in_maintenance_offers_nothing(supply, api, tenant):
    supply["client"].patch(f"/api/v1/machines/{supply['machine']['id']}", json={"status": "maintenance"})
    assert api(tenant("buyer")).get("/api/v1/capacity/search").get_json()["total"] == 0


def test_retiring_a_machine_withdraws_its_open_windows(supply):
    client = supply["client"]
    client.patch(f"/api/v1/machines/{supply['machine']['id']}", json={"status": "retired"})
    assert client.get(f"/api/v1/capacity-windows/{supply['window']['id']}").get_json()["status"] == "withdrawn"


def test_search_is_paginated(supply, api, tenant):
    client, machine = supply["client"], supply["machine"]
    base = datetime.fromisoformat(supply["window"]["start"]) + timedelta(days=1)
    for i in range(5):
        start = base + timedelta(days=i)
        client.post("/api/v1/capacity-windows", json={"machine_id": machine["id"], "start": start.isoformat(),
                                                       "end": (start + timedelta(hours=4)).isoformat(),
                                                       "pricing_mode": "per_hour", "price": 100 + i})
    page = api(tenant("buyer")).get("/api/v1/capacity/search?per_page=2&page=2&sort=price").get_json()
    assert page["total"] == 6 and page["pages"] == 3 and len(page["items"]) == 2
    assert [h["window"]["price"] for h in page["items"]] == [102, 103]


def test_read_scoped_token_cannot_write(api, tenant):
    owner = tenant("factory")
    response = api(owner.read_token).post("/api/v1/factories", json=FACTORY)
    assert response.status_code == 403
    assert api(owner.read_token).get("/api/v1/factories").status_code == 200


def test_revoked_token_is_refused(api, tenant):
    owner = tenant("factory")
    client = api(owner)
    token_id = next(t["id"] for t in client.get("/api/v1/tokens").get_json()["items"] if t["name"] == "tests-read")
    assert client.delete(f"/api/v1/tokens/{token_id}").status_code == 200
    assert api(owner.read_token).get("/api/v1/factories").status_code == 401


def test_buyers_cannot_create_factories(api, tenant):
    response = api(tenant("buyer")).post("/api/v1/factories", json=FACTORY)
    assert response.status_code == 403
