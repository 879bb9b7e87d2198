"""Errors out: application/problem+json (RFC 9457) for the API, an HTML page for the portal."""
from __future__ import annotations

import logging

import marshmallow as ma
from flask import Flask, current_app, json, render_template, request
from flask_smorest import Api
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, InternalServerError

from market.errors import DomainError

log = logging.getLogger("market.errors")


class ProblemSchema(ma.Schema):
    class Meta:
        # RFC 9457 problem details may carry extension members (a refusal's `code`, the amounts
        # behind it); apispec documents RAISE, marshmallow's default, as additionalProperties: false
        unknown = ma.INCLUDE

    type = ma.fields.String()
    title = ma.fields.String()
    status = ma.fields.Integer()
    detail = ma.fields.String()
    errors = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw(),
                            metadata={"description": "field name -> list of messages"})
    code = ma.fields.String(metadata={"description": "why, for a program, where the refusal has a reason code "
                                                     "(e.g. rating.already_rated)"})


def wants_problem() -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/webhooks/")


def problem_response(status: int, title: str, detail: str | None = None, errors: dict | None = None, headers=None,
                     extra: dict | None = None):
    body = {"type": "about:blank", "title": title, "status": status, **(extra or {})}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = current_app.response_class(json.dumps(body), status=status, mimetype="application/problem+json")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _flatten_webargs(messages: dict) -> dict:
    """webargs groups messages by location ({"json": {...}, "query": {...}}): merge them. The
    body as a whole is "_body" (marshmallow says "_schema"; an unknown field without a usable
    name, e.g. a multipart part named "\n", comes back under None)."""
    merged: dict = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            for name, msgs in fields.items():
                merged["_body" if name in ("_schema", None) else str(name)] = msgs
        else:
            merged[location] = fields
    return merged


def _html_error(status: int, title: str, detail: str | None):
    return render_template("error.html", status=status, title=title, detail=detail), status


PROBLEM_JSON = "application/problem+json"


class ProblemApi(Api):
    """flask-smorest's Api with errors rendered - and documented - as problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self):
        """flask-smorest documents its shared error responses (DEFAULT_ERROR, one per HTTP
        status) with its default content type: ours is application/problem+json."""
        self.DEFAULT_RESPONSE_CONTENT_TYPE = PROBLEM_JSON
        try:
            super()._register_responses()
        finally:
            del self.DEFAULT_RESPONSE_CONTENT_TYPE  # successful responses stay application/json

    def handle_http_exception(self, error: HTTPException):
        if isinstance(error, InternalServerError):
            log.exception("unhandled error", exc_info=error.original_exception or error)
        data = getattr(error, "data", None) or {}
        errors = _flatten_webargs(data["messages"]) if "messages" in data else data.get("errors")
        detail = data.get("message") or error.description
        if errors and error.code == 422:
            detail = "the request has invalid fields: " + ", ".join(sorted(errors))
        if not wants_problem():
            return _html_error(error.code, error.name, detail)
        return problem_response(error.code, error.name, detail, errors, data.get("headers"))


def _database_unavailable(error: Exception):
    """The database did not answer (restarting, failing over, locked): a clean 503 the
    client may retry (with the same Idempotency-Key), never a 500 with a traceback. The
    pool pings connections before use (pool_pre_ping), so the next request reconnects."""
    from market.metrics import DATABASE_UNAVAILABLE

    DATABASE_UNAVAILABLE.inc()
    log.warning("database unavailable", extra={"error": f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"})
    detail = "the database is unavailable; retry shortly"
    if not wants_problem():
        try:
            body, status = _html_error(503, "Service unavailable", detail)
        except (sa_exc.OperationalError, sa_exc.InterfaceError):  # the layout reads the signed-in user
            body, status = f"<!doctype html><title>503</title><h1>Service unavailable</h1><p>{detail}</p>", 503
        return body, status, {"Retry-After": "5"}
    return problem_response(503, "Service unavailable", detail, headers={"Retry-After": "5"})


def _value_out_of_range(error: sa_exc.DataError):
    """A value the database refused (a number out of range, a NUL byte, a bad date): the
    schemas bound every input, so this is a gap in them - logged with its statement, and
    answered as a 422 without it (never SQL to a user)."""
    log.error("the database refused a value", exc_info=error)
    detail = "a value is out of range: the service cannot store it"
    if not wants_problem():
        return _html_error(422, "Unprocessable Entity", detail)
    return problem_response(422, "Unprocessable Entity", detail)


def init_app(app: Flask) -> None:
    app.register_error_handler(sa_exc.DataError, _value_out_of_range)
    app.register_error_handler(sa_exc.OperationalError, _database_unavailable)
    app.register_error_handler(sa_exc.InterfaceError, _database_unavailable)

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        if not wants_problem():
            return _html_error(error.status, error.title, error.detail)
        return problem_response(error.status, error.title, error.detail, error.errors, extra=error.extra)
