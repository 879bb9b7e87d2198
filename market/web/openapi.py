"""What the OpenAPI document says beyond flask-smorest's defaults, so that a generated client
and an integrator's tools read the API as it behaves:

- a stable `operationId` on every operation (`<domain>_<view>`, from the Flask endpoint, so it
  changes only when the view is renamed), which client generators turn into method names;
- the `Idempotency-Key` header on the operations that honour it (`api_common.idempotent`);
- the rate-limit headers every API response carries (Flask-Limiter's default limit), and 429;
- public operations (no token) say so with `security: []` on the view (`@blp.doc(security=[])`);
  tests/market/test_openapi_contract.py checks each against what the route does without a token.
"""
from __future__ import annotations

from copy import deepcopy

from apispec import BasePlugin
from flask import Flask

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "schema": {"type": "string", "maxLength": 200},
    "description": "Makes a retry safe: the first response to a key is stored and replayed for the same "
                   "request; the same key with a different body is refused (422), and a retry while the "
                   "first request still runs gets 409.",
}
RATE_LIMIT_HEADERS = {
    "X-RateLimit-Limit": "Requests allowed in the current window.",
    "X-RateLimit-Remaining": "Requests left in the current window.",
    "X-RateLimit-Reset": "When the window resets, in seconds since the epoch.",
}


class ContractPlugin(BasePlugin):
    """An apispec plugin: flask-smorest calls `operation_helper` once per path with its rule."""

    def __init__(self, app: Flask):
        self.app = app

    def init_spec(self, spec):
        super().init_spec(spec)
        self.spec = spec
        for name, description in RATE_LIMIT_HEADERS.items():
            spec.components.header(name, {"description": description, "schema": {"type": "integer"}})

    def operation_helper(self, path=None, operations=None, rule=None, **kwargs):
        if rule is None or operations is None:
            return
        domain, _, view_name = rule.endpoint.partition(".")
        view = self.app.view_functions.get(rule.endpoint)
        for method, operation in operations.items():
            suffix = f"_{method}" if len(operations) > 1 else ""
            operation.setdefault("operationId", f"{domain.removesuffix('_api')}_{view_name}{suffix}")
            _form_fields_into_multipart_body(operation, self.spec.components.schemas)
            if getattr(view, "honours_idempotency_key", False):
                operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
            responses = operation.setdefault("responses", {})
            for status, response in responses.items():
                if str(status).startswith("2") and isinstance(response, dict):
                    response.setdefault("headers", {}).update(
                        {name: {"$ref": f"#/components/headers/{name}"} for name in RATE_LIMIT_HEADERS})
            responses.setdefault("429", "TOO_MANY_REQUESTS")  # flask-smorest's, as problem+json


def _form_fields_into_multipart_body(operation: dict, schemas: dict) -> None:
    """An upload with form fields (`@blp.arguments(..., location="form")` beside `"files"`):
    flask-smorest documents the fields as OpenAPI 2's `in: formData` parameters, which OpenAPI 3
    does not have. They are parts of the multipart body: merged into its schema (inline, not
    `allOf`: the file part's schema admits no other property, so an `allOf` admits nothing)."""
    form = [p for p in operation.get("parameters", []) if p.get("in") == "formData"]
    if not form:
        return
    operation["parameters"] = [p for p in operation["parameters"] if p.get("in") != "formData"]
    body = operation.setdefault("requestBody", {"required": True, "content": {}})["content"].setdefault(
        "multipart/form-data", {})
    schema = body.get("schema", {"type": "object", "properties": {}})
    if "$ref" in schema:
        schema = deepcopy(schemas[schema["$ref"].rsplit("/", 1)[-1]])
    properties = schema.setdefault("properties", {})
    for p in form:
        properties[p["name"]] = {**p.get("schema", {}), **({"description": p["description"]} if "description" in p else {})}
    required = [p["name"] for p in form if p.get("required")]
    if required:
        schema["required"] = sorted(set(schema.get("required", [])) | set(required))
    body["schema"] = schema
