"""Hostile input from an outside probe gets a 4xx with a field message, never a 500, on
SQLite and PostgreSQL (which refuses NUL bytes in text and overflowing integers). The
OpenAPI document says error responses are application/problem+json."""
import json

import pytest

from tests.conftest import order_body


def _login(app, tenant):
    client = app.test_client()
    assert client.post("/login", data={"email": tenant.email, "password": "correct-horse-1"}).status_code == 302
    return client


def _problem(response, status_range=(400, 499)):
    assert status_range[0] <= response.status_code <= status_range[1], (response.status_code, response.get_data(as_text=True)[:500])
    assert response.content_type == "application/problem+json"
    return response.get_json()


@pytest.mark.parametrize("body", [
    "[" * 1000 + "]" * 1000,
    '{"title": ' + "[" * 5000 + "]" * 5000 + "}",
    '{"title": ' + '{"a": ' * 1000 + "1" + "}" * 1000 + "}",
])
def test_json_nested_a_thousand_deep_is_a_400_problem(api, tenant, body):
    buyer = api(tenant("buyer"))
    response = buyer.post("/api/v1/orders", data=body, content_type="application/json")
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert "nested" in _problem(response)["detail"]


@pytest.mark.parametrize("field, raw", [
    ("title", '"Bracket \\ud800"'),
    ("title", '"\\udfff"'),
    ("material", '"6061\\udbff"'),
])
def test_a_lone_surrogate_in_a_text_field_is_a_422_naming_the_field(api, tenant, field, raw):
    body = json.dumps(order_body(**{field: "PLACEHOLDER"})).replace('"PLACEHOLDER"', raw)
    response = api(tenant("buyer")).post("/api/v1/orders", data=body, content_type="application/json")
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert field in _problem(response)["errors"]


def test_nul_anywhere_in_a_json_body_is_a_422_naming_the_field(api, tenant):
    body = order_body(operations=[{"process_code": "cnc_milling_3ax", "setup_minutes": 1, "run_minutes_per_unit": 1,
                                   "notes": "a\x00b"}])
    response = api(tenant("buyer")).post("/api/v1/orders", json=body)
    assert "operations" in _problem(response)["errors"]


@pytest.mark.parametrize("path", ["/login", "/password/forgot", "/signup"])
def test_nul_in_a_portal_form_field_is_a_422_naming_the_field(client, path):
    response = client.post(path, data={"email": "owner\x00@example.test", "password": "correct-horse-1"})
    assert response.status_code == 422, response.status_code
    assert "email" in response.get_data(as_text=True)


def test_nul_in_a_query_parameter_is_a_4xx(api, tenant, client):
    buyer = api(tenant("buyer"))
    response = buyer.get("/api/v1/capacity/search?region=Su%00zhou")
    assert "region" in _problem(response)["errors"]
    assert client.get("/login?next=/orders%00").status_code == 422


@pytest.mark.parametrize("budget", ["Infinity", "-Infinity", "NaN", "sNaN", "1e100000", "1e12", "12.345", "abc"])
def test_a_portal_budget_that_is_not_a_sane_amount_is_refused_on_the_form(app, tenant, budget):
    client = _login(app, tenant("buyer"))
    response = client.post("/orders/new", data={
        "title": "Bracket", "quantity": "10", "due_at": "2031-01-10", "budget": budget, "currency": "CNY",
        "op-1-process_code": "cnc_milling_3ax", "op-1-setup_minutes": "10", "op-1-run_minutes_per_unit": "1",
        "action": "publish"})
    assert response.status_code == 422, response.status_code
    assert "budget" in response.get_data(as_text=True)


@pytest.mark.parametrize("percent", ["inf", "1e309", "nan", "-inf", "1e100000"])
def test_a_commission_percent_from_a_non_operator_is_refused_before_it_is_parsed(app, tenant, percent):
    client = _login(app, tenant("buyer"))
    response = client.post("/operator/commission-rules", data={"tier": "free", "percent": percent, "minimum_minor": "0"})
    assert response.status_code == 403


@pytest.mark.parametrize("percent", ["inf", "1e309", "nan", "sNaN", "1e100000", "101", "7.555"])
def test_a_commission_percent_that_is_not_a_percentage_is_refused(app, tenant, api, percent):
    operator = tenant("operator")
    client = _login(app, operator)
    before = api(operator).get("/api/v1/payments/commission-rules").get_json()["items"]
    response = client.post("/operator/commission-rules", data={"tier": "free", "percent": percent, "minimum": "0"})
    # the refused form comes back with what was typed and the message on the field (#18), not a redirect
    assert response.status_code == 422
    assert "percent" in response.get_data(as_text=True)
    assert api(operator).get("/api/v1/payments/commission-rules").get_json()["items"] == before


@pytest.mark.parametrize("start, end", [
    ("9999-12-31T20:00:00+00:00", "9999-12-31T22:00:00+00:00"),
    ("9999-12-31T23:00:00-05:00", "9999-12-31T23:30:00-05:00"),
    ("0001-01-01T00:00:00+00:00", "0001-01-01T02:00:00+00:00"),
    ("2400-01-01T00:00:00+00:00", "2400-01-01T02:00:00+00:00"),
])
def test_a_window_far_outside_the_calendar_is_refused(supply, start, end):
    response = supply["client"].post("/api/v1/capacity-windows", json={
        "machine_id": supply["machine"]["id"], "start": start, "end": end, "pricing_mode": "per_hour", "price": 1})
    errors = _problem(response)["errors"]
    assert "start" in errors or "end" in errors, errors


def test_an_order_due_in_year_9999_is_refused(api, tenant):
    response = api(tenant("buyer")).post("/api/v1/orders", json=order_body(due_at="9999-12-31T23:59:59+00:00"))
    assert "due_at" in _problem(response)["errors"]


@pytest.mark.parametrize("path", ["/orders", "/board", "/operator/security-events", "/capacity"])
def test_a_portal_page_number_beyond_any_page_is_a_4xx_not_a_500(app, tenant, path):
    who = tenant("operator") if path.startswith("/operator") else tenant("buyer")
    client = _login(app, who)
    response = client.get(f"{path}?page={10**20}")
    assert 400 <= response.status_code < 500, response.status_code
    assert "page" in response.get_data(as_text=True)


@pytest.mark.parametrize("query, field", [
    (f"max_price={2**63}", "max_price"),
    (f"max_price={10**30}", "max_price"),
    (f"min_lot_at_most={2**31}", "min_lot_at_most"),
    (f"page={10**20}", "page"),
    ("radius_km=inf&lat=31&lon=120", "radius_km"),
    ("from=9999-12-31T23:00:00%2B00:00", "from"),
])
def test_search_arguments_beyond_what_the_database_holds_are_422(api, tenant, query, field):
    response = api(tenant("buyer")).get(f"/api/v1/capacity/search?{query}")
    assert field in _problem(response)["errors"], response.get_json()


@pytest.mark.parametrize("path, body, field", [
    ("/api/v1/orders", order_body(quantity=2**63), "quantity"),
    ("/api/v1/orders", order_body(operations=[{"process_code": "cnc_milling_3ax", "setup_minutes": 2**40,
                                               "run_minutes_per_unit": 1}]), "operations"),
])
def test_integers_beyond_their_column_are_422(api, tenant, path, body, field):
    response = api(tenant("buyer")).post(path, json=body)
    assert field in _problem(response)["errors"]


def test_the_openapi_document_declares_problem_json_for_error_responses(client):
    spec = client.get("/api/openapi.json").get_json()
    for name, response in spec["components"]["responses"].items():
        assert list(response.get("content", {"application/problem+json": {}})) == ["application/problem+json"], name
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items() if isinstance(operation, dict) else ():
                if (status == "default" or status[0] in "45") and "content" in response:
                    assert list(response["content"]) == ["application/problem+json"], (method, path, status)


def test_a_value_the_database_refuses_is_a_422_without_sql(api, tenant, monkeypatch):
    from sqlalchemy.exc import DataError

    from market.orders import reads

    def refused(*_args, **_kwargs):
        raise DataError("SELECT orders.id FROM orders WHERE budget_minor > %(x)s", {"x": 2**70},
                        ValueError("integer out of range"))

    monkeypatch.setattr(reads, "order_page", refused)  # what GET /api/v1/orders reads
    response = api(tenant("buyer")).get("/api/v1/orders")
    problem = _problem(response)
    assert response.status_code == 422 and "SELECT" not in json.dumps(problem) and "out of range" in problem["detail"]


def test_an_unknown_part_without_a_usable_name_is_a_422_not_a_500(app):
    """Found by the webhook fuzz test: marshmallow filed the unknown multipart part "\\n" under
    None, and sorting the field names for the detail raised a TypeError (500)."""
    from werkzeug.exceptions import UnprocessableEntity

    from market.problems import ProblemApi

    error = UnprocessableEntity()
    error.data = {"messages": {"form": {"kind": ["Missing data for required field."], None: ["Unknown field."]}}}
    with app.test_request_context("/api/v1/lots/x/documents", method="POST"):
        response = ProblemApi.handle_http_exception(None, error)  # flask-smorest's handler, as the app calls it
    body = response.get_json()
    assert response.status_code == 422 and body["errors"] == {"kind": ["Missing data for required field."],
                                                             "_body": ["Unknown field."]}
