"""Bad input gets a 4xx with a precise, field-level message, and nothing is half-written."""
import io
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import FACTORY, order_body


def _counts(api_client):
    orders = api_client.get("/api/v1/orders").get_json()["total"]
    return orders


@pytest.mark.parametrize("body, status, field", [
    (order_body(quantity=-5), 422, "quantity"),
    (order_body(quantity="many"), 422, "quantity"),
    (order_body(budget_minor=12.5), 422, "budget_minor"),
    (order_body(colour="red"), 422, "colour"),
    (order_body(due_at="next tuesday"), 422, "due_at"),
    (order_body(due_at="2001-01-01T00:00:00+00:00"), 422, "due_at"),
    (order_body(currency="yuan"), 422, "currency"),
    (order_body(operations=[]), 422, "operations"),
    (order_body(operations=[{"process_code": "teleportation", "setup_minutes": 1, "run_minutes_per_unit": 1}]), 422, "operations"),
    (order_body(operations=[{"process_code": "cnc_turning", "setup_minutes": -1, "run_minutes_per_unit": 1}]), 422, "operations"),
    (order_body(required_certifications=["ISO 9001 please"]), 422, "required_certifications"),
    ({"title": "no operations"}, 422, "operations"),
])
def test_bad_order_fields_are_named_and_no_order_is_written(api, tenant, body, status, field):
    buyer = api(tenant("buyer"))
    response = buyer.post("/api/v1/orders", json=body)
    assert response.status_code == status, response.get_json()
    problem = response.get_json()
    assert response.content_type == "application/problem+json"
    assert problem["status"] == status and field in problem["errors"], problem
    assert _counts(buyer) == 0


def test_malformed_json_gets_400_problem(api, tenant):
    response = api(tenant("buyer")).post("/api/v1/orders", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"


def test_unknown_route_and_method_are_problem_json(api, tenant):
    buyer = api(tenant("buyer"))
    assert buyer.get("/api/v1/nothing-here").status_code == 404
    response = buyer.client.put("/api/v1/orders", headers=buyer._headers())
    assert response.status_code == 405 and response.content_type == "application/problem+json"


def test_missing_token_gets_401_problem(client):
    response = client.get("/api/v1/orders")
    assert response.status_code == 401 and "bearer" in response.get_json()["detail"]


@pytest.mark.parametrize("patch, field", [
    ({"start_offset_h": 0, "length_h": -2}, "end"),
    ({"start_offset_h": -24 * 35, "length_h": 2}, "end"),  # ended in the past
    ({"start_offset_h": 0, "length_h": 24 * 40}, "end"),
])
def test_bad_window_spans_are_refused(supply, patch, field):
    start = datetime.now(timezone.utc) + timedelta(days=30, hours=patch["start_offset_h"])
    response = supply["client"].post("/api/v1/capacity-windows", json={
        "machine_id": supply["machine"]["id"], "start": start.isoformat(),
        "end": (start + timedelta(hours=patch["length_h"])).isoformat(), "pricing_mode": "per_hour", "price": 1})
    assert response.status_code == 422 and field in response.get_json()["errors"], response.get_json()


@pytest.mark.parametrize("body, field", [
    ({"pricing_mode": "per_minute", "price": 1}, "pricing_mode"),
    ({"pricing_mode": "per_hour", "price": -1}, "price"),
    ({"pricing_mode": "percent_of_value", "price": 20000}, "price"),
    ({"pricing_mode": "per_hour", "price": 1, "min_lot": 0}, "min_lot"),
])
def test_bad_window_terms_are_refused(supply, body, field):
    start = datetime.now(timezone.utc) + timedelta(days=40)
    response = supply["client"].post("/api/v1/capacity-windows", json={
        "machine_id": supply["machine"]["id"], "start": start.isoformat(),
        "end": (start + timedelta(hours=2)).isoformat(), **body})
    assert response.status_code == 422 and field in response.get_json()["errors"], response.get_json()


@pytest.mark.parametrize("body, field", [
    ({"processes": ["cnc_milling_3ax", "mind_reading"]}, "processes"),
    ({"processes": []}, "processes"),
    ({"hourly_rate_minor": -100}, "hourly_rate_minor"),
    ({"status": "broken"}, "status"),
    ({"factory_id": "00000000-0000-0000-0000-000000000000"}, "factory_id"),
])
def test_bad_machines_are_refused_and_not_written(supply, body, field):
    client = supply["client"]
    good = {"factory_id": supply["factory"]["id"], "name": "M2", "processes": ["cnc_turning"]}
    response = client.post("/api/v1/machines", json={**good, **body})
    assert response.status_code == 422 and field in response.get_json()["errors"], response.get_json()
    assert client.get("/api/v1/machines").get_json()["total"] == 1


@pytest.mark.parametrize("body, field", [
    ({"latitude": 123}, "latitude"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"certifications": ["ISO9001", "made-up"]}, "certifications"),
])
def test_bad_factories_are_refused(api, tenant, body, field):
    response = api(tenant("factory")).post("/api/v1/factories", json={**FACTORY, **body})
    assert response.status_code == 422 and field in response.get_json()["errors"], response.get_json()


@pytest.mark.parametrize("filename, content, status", [
    ("drawing.exe", b"MZ\x90\x00", 415),
    ("drawing.pdf", b"MZ\x90\x00 not a pdf", 415),
    ("drawing.pdf", b"%PDF-" + b"x" * (64 * 1024), 413),
    ("empty.pdf", b"", 422),
])
def test_bad_uploads_are_refused_and_nothing_is_stored(api, tenant, app, filename, content, status):
    from pathlib import Path

    buyer = api(tenant("buyer"))
    order = buyer.post("/api/v1/orders", json=order_body()).get_json()
    response = buyer.post(f"/api/v1/orders/{order['id']}/attachments",
                          data={"file": (io.BytesIO(content), filename)}, content_type="multipart/form-data")
    assert response.status_code == status, response.get_json()
    assert "file" in response.get_json()["errors"]
    assert buyer.get(f"/api/v1/orders/{order['id']}/attachments").get_json()["items"] == []
    upload_dir = Path(app.config["UPLOAD_DIR"])
    assert not upload_dir.exists() or not any(upload_dir.iterdir())


def test_search_rejects_contradictory_queries(api, tenant):
    buyer = api(tenant("buyer"))
    for query, field in [("process=nope", "process"), ("max_price=5", "max_price"), ("lat=31&lon=120", "radius_km"),
                         ("from=2030-01-02T00:00:00%2B00:00&to=2030-01-01T00:00:00%2B00:00", "to"),
                         ("per_page=1000", "per_page"), ("sort=random", "sort")]:
        response = buyer.get(f"/api/v1/capacity/search?{query}")
        assert response.status_code == 422 and field in response.get_json()["errors"], (query, response.get_json())
