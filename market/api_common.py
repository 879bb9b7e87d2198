"""What every API module shares: strict schemas, pagination, Idempotency-Key."""
from __future__ import annotations

import functools
import hashlib
import json as pyjson
import time
from datetime import date, datetime, timezone

import marshmallow as ma
from flask import current_app, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from market import errors
from market.accounts.models import IdempotencyRecord
from market.auth import api_actor
from market.db import unit_of_work
from market.pagination import MAX_PAGE, MAX_PER_PAGE


class Integer(ma.fields.Integer):
    """An integer that never truncates: 12.5 is an error, 12.0 and "12" are 12."""

    def _validated(self, value):
        if isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid", input=value)
        if isinstance(value, str) and not value.strip().lstrip("+-").isdigit():
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    if isinstance(value, dict):
        return any(_has_nul(v) for v in value.values())
    return False


# What every loaded value must fit, whatever field it came from: an integer fits the
# database's INTEGER column (a wider field - Money - has `wide` set and fits a BIGINT), a moment lies in years EARLIEST_YEAR..LATEST_YEAR (so that
# arithmetic on it and the database's timestamps never overflow).
INT32_MAX, INT64_MAX = 2**31 - 1, 2**63 - 1
EARLIEST_YEAR, LATEST_YEAR = 1970, 2199


def _out_of_range(field: ma.fields.Field, value) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        limit = INT64_MAX if getattr(field, "wide", False) else INT32_MAX
        return None if -limit - 1 <= value <= limit else f"must be between {-limit - 1} and {limit}"
    if isinstance(value, (datetime, date)):
        try:
            year = (value.astimezone(timezone.utc) if isinstance(value, datetime) and value.tzinfo else value).year
        except OverflowError:
            year = value.year
        if not EARLIEST_YEAR <= year <= LATEST_YEAR:
            return f"must be between the years {EARLIEST_YEAR} and {LATEST_YEAR}"
    if isinstance(value, (list, tuple)):
        inner = getattr(field, "inner", field)
        return next(filter(None, (_out_of_range(inner, v) for v in value)), None)
    return None


class StrictSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    @ma.post_load
    def _refuse_values_beyond_storage(self, data, **kwargs):
        bad = {}
        for name, field in self.fields.items():
            if field.load_only is False and field.dump_only:
                continue
            key = field.attribute or name
            if key in data:
                message = _out_of_range(field, data[key])
                if message:
                    bad[field.data_key or name] = [message]
        if bad:
            raise ma.ValidationError(bad)
        return data

    @ma.pre_load
    def _refuse_nul_characters(self, data, **kwargs):
        # PostgreSQL text cannot hold NUL (a 500 at the database); no field has a use for it
        if hasattr(data, "items"):
            bad = sorted(k for k, v in data.items() if _has_nul(v))
            if bad:
                raise ma.ValidationError({k: ["must not contain NUL characters"] for k in bad})
        return data


class PageArgs(StrictSchema):
    page = Integer(load_default=1, validate=ma.validate.Range(min=1, max=MAX_PAGE))
    per_page = Integer(load_default=20, validate=ma.validate.Range(min=1, max=MAX_PER_PAGE))


def page_schema(item: type[ma.Schema] | ma.Schema, name: str | None = None) -> type[ma.Schema]:
    name = name or type(item).__name__ if isinstance(item, ma.Schema) else item.__name__
    return type(f"{name.removesuffix('Schema')}Page", (ma.Schema,), {
        "items": ma.fields.List(ma.fields.Nested(item)),
        "page": ma.fields.Integer(),
        "per_page": ma.fields.Integer(),
        "total": ma.fields.Integer(),
        "pages": ma.fields.Integer(),
    })


# The business ceiling of any amount, in minor units (10^13 fen = ¥100 bn): far above any real
# order and far below what a BIGINT column (2^63 - 1) or a sum of a few hundred of them holds.
MAX_MINOR = 10**13

class Money(Integer):
    """An amount in integer minor units, 0..MAX_MINOR: the one bound every money input has."""

    wide = True  # a BIGINT column

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", ma.validate.Range(min=0, max=MAX_MINOR))
        kwargs["metadata"] = {"description": "integer minor units (e.g. fen, cents)", **kwargs.get("metadata", {})}
        super().__init__(**kwargs)
Currency = functools.partial(ma.fields.String, validate=ma.validate.Regexp(r"^[A-Z]{3}$", error="ISO 4217 code, e.g. CNY"))

IN_PROGRESS = 0


def idempotent(fn):
    """Honour `Idempotency-Key`: the first response to a key is stored and replayed for the
    same request; the same key with a different request body is refused."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if not key:
            return fn(*args, **kwargs)
        if len(key) > 200:
            raise errors.Invalid("Idempotency-Key may be at most 200 characters", field="Idempotency-Key")
        actor = api_actor()
        fingerprint = hashlib.sha256(request.method.encode() + request.path.encode() + request.get_data()).hexdigest()
        with unit_of_work() as s:
            record = IdempotencyRecord(organization_id=actor.org_id, key=key, fingerprint=fingerprint,
                                       status_code=IN_PROGRESS, response_body="")
            s.add(record)
            try:
                s.commit()
            except IntegrityError:
                s.rollback()
                return _replay(s, actor.org_id, key, fingerprint)
        try:
            response = fn(*args, **kwargs)
        except BaseException:
            _until_the_database_answers(lambda: _forget(actor.org_id, key))
            raise
        response = current_app.make_response(response)

        def store():
            with unit_of_work() as s:
                stored = s.scalars(select(IdempotencyRecord).filter_by(organization_id=actor.org_id, key=key)).one()
                stored.status_code, stored.response_body = response.status_code, response.get_data(as_text=True)
                s.commit()

        # The change is committed: losing its response now would leave the key 'in progress'
        # for ever, so a database restart in between is waited out (bounded).
        _until_the_database_answers(store)
        return response

    return wrapper


def _until_the_database_answers(action, *, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return action()
        except (OperationalError, InterfaceError):
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.25)


def _replay(s, org_id: int, key: str, fingerprint: str):
    stored = s.scalars(select(IdempotencyRecord).filter_by(organization_id=org_id, key=key)).one()
    if stored.fingerprint != fingerprint:
        raise errors.Invalid("this Idempotency-Key was used with a different request", field="Idempotency-Key")
    if stored.status_code == IN_PROGRESS:
        raise errors.Conflict("a request with this Idempotency-Key is still in progress; retry shortly")
    response = current_app.response_class(stored.response_body, status=stored.status_code, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _forget(org_id: int, key: str) -> None:
    with unit_of_work() as s:
        s.execute(delete(IdempotencyRecord).filter_by(organization_id=org_id, key=key, status_code=IN_PROGRESS))
        s.commit()


def parse_json_field(raw: str, field: str):
    try:
        return pyjson.loads(raw)
    except ValueError:
        raise errors.Invalid("not valid JSON", field=field) from None
