"""The OpenAPI document says what the API does, so that generated clients and integrators'
tools can rely on it (issue #20): valid OpenAPI 3.0, one stable operationId per operation, the
security each operation really enforces, Idempotency-Key where it is honoured, and the
rate-limit headers the responses carry."""
import re
import uuid
from collections import Counter

from openapi_spec_validator import validate

METHODS = ("get", "post", "put", "patch", "delete")


def _operations(spec):
    return [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()
            if method in METHODS]


def _spec(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_the_document_is_valid_openapi(client):
    validate(_spec(client))


def test_every_operation_has_a_unique_operation_id_named_for_its_view(client, app):
    operations = _operations(_spec(client))
    ids = Counter(op.get("operationId") for _, _, op in operations)
    assert None not in ids
    assert [name for name, n in ids.items() if n > 1] == []
    by_id = {op["operationId"]: (path, method) for path, method, op in operations}
    assert by_id["orders_create_order"] == ("/api/v1/orders", "post")
    for name in ids:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name  # a method name in any generator's language


def _concrete(path: str, parameters: list) -> str:
    """The path with a value of the declared type in each parameter: a request that reaches the view."""
    types = {p["name"]: p.get("schema", {}).get("type") for p in parameters if p.get("in") == "path"}
    return re.sub(r"\{([^}]+)\}", lambda m: "1" if types.get(m.group(1)) == "integer" else str(uuid.uuid4()), path)


def test_each_operation_declares_the_security_it_enforces(client):
    """Called without a token, an operation that declares bearerAuth answers 401, and one that
    declares `security: []` (public) does not: the document and the code cannot drift apart."""
    spec = _spec(client)
    assert spec["security"] == [{"bearerAuth": []}]
    public, checked = set(), 0
    for path, method, op in _operations(spec):
        if not path.startswith("/api/v1/"):
            continue
        declared_public = op.get("security") == []
        parameters = spec["paths"][path].get("parameters", []) + op.get("parameters", [])
        status = client.open(_concrete(path, parameters), method=method.upper(), json={}).status_code
        checked += 1
        if declared_public:
            public.add((path, method))
            assert status != 401, f"{method.upper()} {path} is documented as public but wants a token"
        else:
            assert status == 401, f"{method.upper()} {path} answers {status} without a token: document it public"
    assert checked > 150
    assert ("/api/v1/trace/{code}", "get") in public and ("/api/v1/orders", "post") not in public


def test_idempotency_key_is_declared_exactly_where_it_is_honoured(client, app):
    spec = _spec(client)
    declared = {(path, method) for path, method, op in _operations(spec)
                if any(p.get("name") == "Idempotency-Key" for p in op.get("parameters", []))}
    assert ("/api/v1/orders", "post") in declared
    honoured = set()
    for rule in app.url_map.iter_rules():
        if getattr(app.view_functions[rule.endpoint], "honours_idempotency_key", False):
            path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
            honoured |= {(path, m.lower()) for m in rule.methods if m.lower() in METHODS}
    assert declared == honoured


def test_the_rate_limit_headers_documented_are_the_ones_sent(client, api, tenant):
    spec = _spec(client)
    documented = set(spec["paths"]["/api/v1/orders"]["get"]["responses"]["200"]["headers"])
    assert documented == set(spec["components"]["headers"])
    response = api(tenant("buyer")).get("/api/v1/orders")
    assert response.status_code == 200
    assert documented <= set(response.headers.keys())
    assert spec["paths"]["/api/v1/orders"]["get"]["responses"]["429"] == {"$ref": "#/components/responses/TOO_MANY_REQUESTS"}


def test_errors_are_documented_as_problem_details(client):
    spec = _spec(client)
    for name, response in spec["components"]["responses"].items():
        assert list(response.get("content", {"application/problem+json": 0})) == ["application/problem+json"], name


def test_every_operation_has_a_summary(client):
    """The view's docstring is the summary (and its later paragraphs the description)."""
    missing = [op["operationId"] for _, _, op in _operations(_spec(client)) if not op.get("summary")]
    assert missing == []
