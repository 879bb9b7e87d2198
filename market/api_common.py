"""What every API module shares: strict schemas, pagination, Idempotency-Key."""
from __future__ import annotations

import functools
import hashlib
import json as pyjson
import time
import uuid
from datetime import date, datetime, timedelta, timezone

import marshmallow as ma
from flask import current_app, request
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from market import errors
from market.auth import api_actor
from market.db import enclosing_transaction, unit_of_work, utcnow
from market.pagination import MAX_PAGE, MAX_PER_PAGE
from market.web.models import IdempotencyRecord


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
    """The query of every list (market/pagination.py): a page number, or the `next_cursor` of
    the page before."""

    page = Integer(load_default=1, validate=ma.validate.Range(min=1, max=MAX_PAGE))
    per_page = Integer(load_default=20, validate=ma.validate.Range(min=1, max=MAX_PER_PAGE))
    cursor = ma.fields.String(validate=ma.validate.Length(min=1, max=1000), metadata={
        "description": "the `next_cursor` of the previous page (keyset pagination; instead of `page`)"})

    @ma.validates_schema
    def _page_or_cursor(self, data, **kwargs):
        if data.get("cursor") is not None and data.get("page", 1) > 1:
            raise ma.ValidationError("give either page or cursor, not both", "cursor")


def paging(args: dict) -> dict:
    """The PageArgs part of a list's query (for a handler whose schema adds its own filters)."""
    return {k: args[k] for k in ("page", "per_page", "cursor") if k in args}


class SyncArgs(PageArgs):
    """A list a client syncs incrementally: `updated_since` returns the rows changed at or after
    the mark, oldest change first, ordered by (updated_at, id): a client keeps the last row's
    `updated_at`, follows `next_cursor` to the end, and asks again with that mark. The mark is
    inclusive so that a row changed later in the same second as the last one seen is not missed
    (the client sees the last one again; it is the same row, the same version)."""

    updated_since = ma.fields.AwareDateTime(format="iso", metadata={
        "description": "RFC 3339 timestamp with offset, e.g. 2026-05-01T08:00:00Z: only rows changed at or after it"})


def page_schema(item: type[ma.Schema] | ma.Schema, name: str | None = None) -> type[ma.Schema]:
    """The envelope of a list of `item` (one schema per item schema in the OpenAPI document:
    two lists of the same items share it)."""
    return _page_schema(item if isinstance(item, type) else type(item), name)


@functools.cache
def _page_schema(item: type[ma.Schema], name: str | None) -> type[ma.Schema]:
    name = name or item.__name__
    return type(f"{name.removesuffix('Schema')}Page", (ma.Schema,), {
        "items": ma.fields.List(ma.fields.Nested(item), required=True),
        "next_cursor": ma.fields.String(allow_none=True, required=True, metadata={
            "description": "pass as `cursor` for the next page; null on the last page"}),
        "page": ma.fields.Integer(allow_none=True, metadata={"description": "null on a read by cursor"}),
        "per_page": ma.fields.Integer(),
        "total": ma.fields.Integer(allow_none=True, metadata={"description": "null on a read by cursor"}),
        "pages": ma.fields.Integer(allow_none=True, metadata={"description": "null on a read by cursor"}),
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
    same request; the same key with a different request body is refused.

    The key is claimed first (committed, with a lease of IDEMPOTENCY_LEASE_S); the request's
    effect and its stored response then commit in one transaction, so a retry finds either
    both (and replays the response) or neither. A claim whose request died (a killed worker,
    a lost connection) lapses with its lease and the retry does the work; until then a
    retry gets 409. A domain error (4xx) frees the key, as before."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if not key:
            return fn(*args, **kwargs)
        if len(key) > 200:
            raise errors.Invalid("Idempotency-Key may be at most 200 characters", field="Idempotency-Key")
        actor = api_actor()
        fingerprint = hashlib.sha256(request.method.encode() + request.path.encode() + request.get_data()).hexdigest()
        token = uuid.uuid4().hex
        replay = _claim(actor.org_id, key, fingerprint, token)
        if replay is not None:
            return replay
        mine = (IdempotencyRecord.organization_id == actor.org_id, IdempotencyRecord.key == key,
                IdempotencyRecord.claim_token == token, IdempotencyRecord.status_code == IN_PROGRESS)
        try:
            with enclosing_transaction() as tx:
                # the row lock (SQLite: the write lock) is held from here to the commit, so the
                # claim cannot be taken over while this request works
                if not tx.connection.execute(update(IdempotencyRecord).where(*mine)
                                             .values(lease_expires_at=_lease_end())).rowcount:
                    raise errors.Conflict("a request with this Idempotency-Key is still in progress; retry shortly")
                try:
                    response = current_app.make_response(fn(*args, **kwargs))
                except errors.DomainError:
                    # what the services committed stays (as without a key); the key is free again
                    tx.connection.execute(delete(IdempotencyRecord).where(*mine))
                    tx.commit()
                    raise
                tx.connection.execute(update(IdempotencyRecord).where(*mine).values(
                    status_code=response.status_code, response_body=response.get_data(as_text=True),
                    claim_token=None, lease_expires_at=None))
                tx.commit()
        except errors.DomainError:
            raise
        except BaseException:
            # nothing was committed (or, if the commit itself failed, the record says which):
            # free the key for the retry; if the database is gone the lease frees it instead
            try:
                _until_the_database_answers(lambda: _forget(*mine))
            except Exception:
                pass
            raise
        return response

    wrapper.honours_idempotency_key = True  # market.web.openapi declares the header
    return wrapper


def _lease_end():
    return utcnow() + timedelta(seconds=float(current_app.config.get("IDEMPOTENCY_LEASE_S", 60)))


def _claim(org_id: int, key: str, fingerprint: str, token: str):
    """Claim the key for this request (None), or answer for it: the stored response, 409
    while another request holds a live claim, 422 for a different request."""
    with unit_of_work() as s:
        s.add(IdempotencyRecord(organization_id=org_id, key=key, fingerprint=fingerprint, status_code=IN_PROGRESS,
                                response_body="", claim_token=token, lease_expires_at=_lease_end()))
        try:
            s.commit()
            return None
        except IntegrityError:
            s.rollback()
        stored = s.scalars(select(IdempotencyRecord).filter_by(organization_id=org_id, key=key)).one()
        if stored.fingerprint != fingerprint:
            raise errors.Invalid("this Idempotency-Key was used with a different request", field="Idempotency-Key")
        if stored.status_code == IN_PROGRESS:
            lapsed = stored.lease_expires_at is None or stored.lease_expires_at <= utcnow()
            # take over a lapsed claim; waits for a request still committing it (its row lock)
            if lapsed and s.execute(update(IdempotencyRecord).where(
                    IdempotencyRecord.id == stored.id, IdempotencyRecord.status_code == IN_PROGRESS,
                    IdempotencyRecord.claim_token.is_(None) if stored.claim_token is None
                    else IdempotencyRecord.claim_token == stored.claim_token)
                    .values(claim_token=token, lease_expires_at=_lease_end())).rowcount:
                s.commit()
                return None
            s.rollback()
            stored = s.scalars(select(IdempotencyRecord).filter_by(organization_id=org_id, key=key)).one()
            if stored.status_code == IN_PROGRESS:
                raise errors.Conflict("a request with this Idempotency-Key is still in progress; retry shortly")
    response = current_app.response_class(stored.response_body, status=stored.status_code, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _until_the_database_answers(action, *, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return action()
        except (OperationalError, InterfaceError):
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.25)


def _forget(*mine) -> None:
    with unit_of_work() as s:
        s.execute(delete(IdempotencyRecord).where(*mine))
        s.commit()


def parse_json_field(raw: str, field: str):
    try:
        return pyjson.loads(raw)
    except ValueError:
        raise errors.Invalid("not valid JSON", field=field) from None
