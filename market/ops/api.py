"""REST API for the operator's regional dashboard (market/ops/regional.py): the same cells as the
portal page, aggregates only. Anyone but the operator is told it does not exist (404)."""
from __future__ import annotations

import marshmallow as ma
from flask import current_app
from flask_smorest import Blueprint

from market import errors
from market.auth import api_actor, require_token
from market.db import utcnow
from market.ops import regional

blp = Blueprint("ops_api", __name__, url_prefix="/api/v1", description="Operator: regional dashboard")


class PeriodIn(ma.Schema):
    # strings here, dates in regional.period: one parser, one wording of its errors
    from_ = ma.fields.String(data_key="from", load_default=None, metadata={"description": "first day, YYYY-MM-DD"})
    to = ma.fields.String(load_default=None, metadata={"description": "last day (inclusive), YYYY-MM-DD"})


class PlaceOut(ma.Schema):
    province_code = ma.fields.String()
    province_zh = ma.fields.String()
    province_en = ma.fields.String()
    city_code = ma.fields.String()
    city_zh = ma.fields.String()
    city_en = ma.fields.String()


class CellOut(ma.Schema):
    place = ma.fields.Nested(PlaceOut)
    class_code = ma.fields.String()
    suppressed = ma.fields.Boolean(metadata={"description": "fewer than k factories: every figure is null"})
    factories = ma.fields.Integer(allow_none=True)
    offered_hours = ma.fields.Float(allow_none=True)
    booked_hours = ma.fields.Float(allow_none=True)
    quoted_orders = ma.fields.Integer(allow_none=True)
    filled_orders = ma.fields.Integer(allow_none=True)
    fill_rate = ma.fields.Float(allow_none=True)
    price_index_minor = ma.fields.Integer(allow_none=True, metadata={"description": "median CNY minor units per hour"})


class RegionalOut(ma.Schema):
    start = ma.fields.DateTime()
    end = ma.fields.DateTime()
    k = ma.fields.Integer()
    cells = ma.fields.List(ma.fields.Nested(CellOut), metadata={"description": "per city × process class"})
    provinces = ma.fields.List(ma.fields.Nested(CellOut), metadata={"description": "sums of the shown cities only"})
    classes = ma.fields.List(ma.fields.Nested(CellOut), metadata={"description": "sums of the shown cells only"})


@blp.route("/operator/regions", methods=["GET"])
@require_token("read")
@blp.arguments(PeriodIn, location="query")
@blp.response(200, RegionalOut)
def regions(args):
    """Idle capacity, bookings, fill rate, price index and factories per region × process class."""
    if not api_actor().is_operator:  # the market's figures are the operator's: to anyone else none exist
        raise errors.NotFound("not found")
    start, end = regional.period(args["from_"], args["to"], utcnow(),
                                 current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return regional.regional(start, end)
