"""Wire formats of telemetry. Readings are validated one by one in market.telemetry.readings
(a bad reading is reported, not fatal), so the batch schema only checks the envelope."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from market.api_common import PageArgs, StrictSchema
from market.telemetry.models import STATES
from market.telemetry.readings import MAX_BATCH
from market.telemetry.services import GRANULARITIES


class ReadingDoc(ma.Schema):
    """One reading (documentation of the items of `readings`)."""

    ts = fields.AwareDateTime(required=True, metadata={"description": "ISO 8601 with offset; exactly-once per machine"})
    state = fields.String(validate=ma.validate.OneOf(STATES), metadata={"description": "holds until the next state"})
    reason = fields.String(metadata={"description": "why idle/down/stopped (Pareto), 1..64 chars; needs state"})
    total = fields.Integer(metadata={"description": "cumulative part counter of the device (may reset)"})
    good = fields.Integer(metadata={"description": "cumulative good parts (or send reject)"})
    reject = fields.Integer(metadata={"description": "cumulative rejected parts (good = total - reject)"})
    spindle_load = fields.Float(metadata={"description": "% (0..250)"})
    temperature = fields.Float(metadata={"description": "°C (-50..500)"})
    power_kw = fields.Float(metadata={"description": "kW (0..5000)"})


class BatchIn(StrictSchema):
    machine_id = fields.UUID(metadata={"description": "optional; must be the device's machine"})
    readings = fields.Raw(required=True, metadata={
        "description": f"list of up to {MAX_BATCH} readings",
        "type": "array", "items": {"type": "object"}})


class RejectedOut(ma.Schema):
    index = fields.Integer()
    reason = fields.String()


class BatchOut(ma.Schema):
    machine_id = fields.UUID()
    accepted = fields.Integer(metadata={"description": "valid readings (stored now or before)"})
    stored = fields.Integer(metadata={"description": "new readings stored by this batch"})
    duplicates = fields.Integer(metadata={"description": "valid readings that were already stored"})
    rejected = fields.List(fields.Nested(RejectedOut))


class DeviceIn(StrictSchema):
    name = fields.String(load_default="edge device", validate=ma.validate.Length(min=1, max=100))


class DeviceOut(ma.Schema):
    id = fields.UUID(attribute="public_id")
    machine_id = fields.UUID(attribute="machine.public_id")
    name = fields.String()
    prefix = fields.String()
    created_at = fields.DateTime()
    last_seen_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class DeviceCreated(DeviceOut):
    token = fields.String(metadata={"description": "shown once; send as 'Authorization: Bearer <token>'; "
                                                   "also the device's MQTT password"})
    mqtt_username = fields.String(metadata={"description": "the device's MQTT username (its id)"})
    mqtt_topic = fields.String(metadata={"description": "the only topic it may publish readings on over MQTT"})


class OeeArgs(StrictSchema):
    from_ = fields.Date(data_key="from", attribute="start", metadata={"description": "first local day (default: 29 days before 'to')"})
    to = fields.Date(attribute="end", metadata={"description": "last local day, included (default: today)"})
    granularity = fields.String(load_default="day", validate=ma.validate.OneOf(GRANULARITIES))


class PeriodOut(ma.Schema):
    start = fields.Date()
    end = fields.Date()
    planned_s = fields.Integer()
    run_s = fields.Integer()
    total = fields.Integer()
    good = fields.Integer()
    availability = fields.Float(allow_none=True)
    performance = fields.Float(allow_none=True)
    quality = fields.Float(allow_none=True)
    oee = fields.Float(allow_none=True)


class OeeOut(ma.Schema):
    id = fields.UUID()
    timezone = fields.String()
    granularity = fields.String()
    periods = fields.List(fields.Nested(PeriodOut))


class StatesArgs(PageArgs):
    from_ = fields.AwareDateTime(data_key="from", attribute="start")
    to = fields.AwareDateTime(attribute="end")


class StateOut(ma.Schema):
    start = fields.DateTime()
    end = fields.DateTime()
    state = fields.String()
    reason = fields.String()


class CalendarIn(StrictSchema):
    weekly = fields.Dict(required=True, metadata={"description": "{'0'..'6' (Monday=0): [['08:00', '20:00'], ...]} in the factory's zone"})
    public_holidays = fields.Boolean(metadata={"description": "China's public holidays are off and 调休 make-up days "
                                                              "worked (default true; applies in mainland zones)"})


class CalendarOut(ma.Schema):
    factory_id = fields.UUID()
    timezone = fields.String()
    weekly = fields.Dict()
    is_default = fields.Boolean()
    public_holidays = fields.Boolean()
    public_holidays_apply = fields.Boolean(metadata={"description": "public_holidays and a mainland China zone"})
    public_holiday_years = fields.List(fields.Integer(), metadata={"description": "first and last year the holiday data covers; "
                                                                                  "later years plan by the weekly shifts"})


class ClosureIn(StrictSchema):
    first_day = fields.Date(required=True, metadata={"description": "first closed local day"})
    last_day = fields.Date(load_default=None, allow_none=True, metadata={"description": "last closed day (default: first_day)"})
    reason = fields.String(load_default="", validate=ma.validate.Length(max=200))


class ClosureOut(ma.Schema):
    id = fields.UUID()
    first_day = fields.Date()
    last_day = fields.Date()
    reason = fields.String()


class ProfileIn(StrictSchema):
    ideal_cycle_s = fields.Float(required=True, allow_none=True, validate=ma.validate.Range(min=0.001, max=86400))


class ProfileOut(ma.Schema):
    machine_id = fields.UUID()
    ideal_cycle_s = fields.Float(allow_none=True)


class DaysArgs(PageArgs):
    from_ = fields.Date(data_key="from", attribute="start")
    to = fields.Date(attribute="end")


class SummaryOut(ma.Schema):
    day = fields.String()
    payload = fields.Dict(metadata={"description": "the committed figures"})
    salt = fields.String()
    ledger_index = fields.Integer()
    corrections = fields.Integer()
