"""The issue's journey over the API alone: a new factory adds a machine and a recurring
window; a new buyer posts a three-operation order and finds matching capacity."""
from datetime import datetime, timedelta, timezone

from tests.conftest import FACTORY, order_body


def test_new_factory_and_new_buyer_meet_over_the_api(api, tenant):
    factory = api(tenant("factory", "Harbour Machining"))
    site = factory.post("/api/v1/factories", json=FACTORY).get_json()
    machine = factory.post("/api/v1/machines", json={"factory_id": site["id"], "name": "Haas VF-4",
                                                      "processes": ["cnc_milling_3ax", "drilling_tapping"],
                                                      "hourly_rate_minor": 22000}).get_json()
    first = datetime.now(timezone.utc).date() + timedelta(days=1)
    windows = factory.post("/api/v1/capacity-windows/recurring", json={
        "machine_id": machine["id"], "first_date": first.isoformat(), "weeks": 4, "weekdays": [0, 1, 2, 3, 4],
        "start_time": "20:00", "end_time": "06:00", "pricing_mode": "per_hour", "price": 20000})
    assert windows.status_code == 201 and len(windows.get_json()) == 20

    buyer = api(tenant("buyer"))
    order = buyer.post("/api/v1/orders", json=order_body(), headers={"Idempotency-Key": "journey-1"}).get_json()
    assert order["state"] == "open" and len(order["operations"]) == 3

    op = order["operations"][0]
    query = f"process={op['process_code']}&to={order['due_at'].replace('+', '%2B')}&certification=ISO9001"
    found = buyer.get(f"/api/v1/capacity/search?{query}").get_json()
    assert found["total"] == 20
    assert {hit["factory"]["id"] for hit in found["items"]} == {site["id"]}
    assert all(hit["window"]["start"] < order["due_at"] for hit in found["items"])
    assert buyer.post(f"/api/v1/orders/{order['id']}/quote-requests", json={"factory_id": site["id"]}).status_code == 201
    assert [o["id"] for o in factory.get("/api/v1/orders").get_json()["items"]] == [order["id"]]
