"""Hostile input is refused at the door, for every route, before a view parses it.

- A JSON body nested deeper than MAX_JSON_DEPTH levels is a 400 (it would otherwise end in
  a RecursionError, a 500, in whichever parser meets it first).
- A string anywhere in a JSON body, a query parameter or a urlencoded form that holds a NUL
  character, or a lone UTF-16 surrogate ("\\ud800", valid JSON but not Unicode), is a 422
  naming the field: PostgreSQL cannot store either (a 500 at the database), and no field
  has a use for them.

Malformed JSON is left to the view's parser (a 400 as before). The portal gets the same
status with an HTML page; the API gets application/problem+json (market.problems).
"""
from __future__ import annotations

import json

from flask import Flask, request

from market.errors import DomainError, Invalid

MAX_JSON_DEPTH = 64


class TooDeep(DomainError):
    status = 400
    title = "Bad request"


def _bad_text(value: str) -> str | None:
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text (it holds a lone surrogate)"
    return None


def _check_json(raw: bytes) -> None:
    try:
        doc = json.loads(raw)
    except RecursionError:
        raise TooDeep(f"the JSON document is nested too deeply (at most {MAX_JSON_DEPTH} levels)") from None
    except ValueError:  # malformed (or not UTF-8): the view's parser answers 400
        return
    bad: dict[str, list[str]] = {}
    stack = [(doc, 0, None)]  # iterative: the walk itself must not recurse
    while stack:
        value, depth, field = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise TooDeep(f"the JSON document is nested too deeply (at most {MAX_JSON_DEPTH} levels)")
        if isinstance(value, str):
            message = _bad_text(value)
            if message:
                bad.setdefault(field or "_body", [message])
        elif isinstance(value, dict):
            for key, item in value.items():
                name = field or key
                message = _bad_text(key)
                if message:
                    bad.setdefault(name if _bad_text(name) is None else "_body", [f"a key {message}"])
                stack.append((item, depth + 1, name if _bad_text(name) is None else "_body"))
        elif isinstance(value, list):
            stack.extend((item, depth + 1, field) for item in value)
    if bad:
        raise Invalid("the request has invalid fields: " + ", ".join(sorted(bad)), errors=bad)


def _check_fields(fields) -> None:
    bad = {}
    for key, value in fields.items(multi=True):
        message = _bad_text(key) or _bad_text(value)
        if message:
            bad.setdefault(key if _bad_text(key) is None else "_query", [message])
    if bad:
        raise Invalid("the request has invalid fields: " + ", ".join(f"'{k}'" for k in sorted(bad)), errors=bad)


def guard() -> None:
    _check_fields(request.args)
    if request.mimetype == "application/x-www-form-urlencoded":
        _check_fields(request.form)
    elif request.is_json and request.content_length != 0:
        _check_json(request.get_data(cache=True))


def init_app(app: Flask) -> None:
    app.before_request(guard)
