"""What the map asks the server: the division a clicked point lies in (GET /regions/resolve).

Public and read-only: the answer is geography, the same for every reader, in the reader's
language. Bad input is a 422 problem naming the field, worded in the reader's language.
"""
from __future__ import annotations

import math

from flask import Blueprint, jsonify, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from market.i18n import locale_code
from market.problems import problem_response
from market.regions.boundaries import division_at
from market.regions.divisions import divisions

bp = Blueprint("regions", __name__)

LIMITS = {"lat": 90.0, "lon": 180.0}


def _coordinate(name: str) -> tuple[float | None, object | None]:
    raw = (request.args.get(name) or "").strip()
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > LIMITS[name]:
        return None, _l("Give a number of degrees between -%(limit)s and %(limit)s.", limit=int(LIMITS[name]))
    return value, None


@bp.get("/regions/resolve")
def resolve():
    (lat, lat_error), (lon, lon_error) = _coordinate("lat"), _coordinate("lon")
    errors = {k: [v] for k, v in (("lat", lat_error), ("lon", lon_error)) if v is not None}
    if errors:
        with force_locale("en"):
            detail = "; ".join(f"{k}: {v[0]}" for k, v in errors.items())
        return problem_response(422, "Unprocessable Entity", detail, {k: [str(v[0])] for k, v in errors.items()})
    division = division_at(lat, lon)
    if division is None:  # outside China's shapes (or at sea): nothing to fill in
        return jsonify(lat=lat, lon=lon, division=None)
    table = divisions().by_code
    zh = locale_code() == "zh_CN"
    # the path from the province down, as the reader reads it: 江苏省 苏州市 / Jiangsu · Suzhou
    path = [table[c] for c in division.parent_codes] + [division]
    return jsonify(lat=lat, lon=lon, division={
        "code": division.code, "zh": division.zh, "en": division.en,
        "name": division.zh if zh else division.en,
        "path": [d.zh if zh else d.en for d in path],
        "label": ("" if zh else " · ").join(d.zh if zh else d.en for d in path),
        "zh_label": "".join(d.zh for d in path),  # what the map writes as the region: 江苏省苏州市 names one place
    })
