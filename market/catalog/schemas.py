import marshmallow as ma
from marshmallow import fields, validate

from market.api_common import Integer, Currency, Money, PageArgs, StrictSchema, SyncArgs
from market.catalog.models import MACHINE_STATUSES, PRICING_MODES, WINDOW_STATUSES
from market.catalog.search import SORTS

Name = lambda **kw: fields.String(validate=validate.Length(min=1, max=200), **kw)  # noqa: E731


class FactoryIn(StrictSchema):
    name = Name(required=True)
    address = fields.String(required=True, validate=validate.Length(min=1, max=500))
    latitude = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    region = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={
        "description": "in China a province, city or district (苏州, Suzhou, 320500; the address may "
                       "make it more precise): it must resolve to a GB/T 2260 division; elsewhere free text"})
    country = fields.String(load_default="CN", validate=validate.Regexp(r"^[A-Z]{2}$", error="ISO 3166-1 alpha-2 code, e.g. CN"))
    city = fields.String(load_default="", validate=validate.Length(max=100))
    timezone = fields.String(load_default="Asia/Shanghai", validate=validate.Length(max=64))
    certifications = fields.List(fields.String(), load_default=list)
    description = fields.String(load_default="", validate=validate.Length(max=5000))

    @ma.validates("timezone")
    def _known_zone(self, value, **_):
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ma.ValidationError(f"unknown IANA time zone '{value}'") from None


class FactoryPatch(FactoryIn):
    """FactoryIn, all fields optional (used with partial=True)."""


class FactoryOut(ma.Schema):
    id = fields.UUID(attribute="public_id")
    name = fields.String()
    address = fields.String()
    latitude = fields.Float()
    longitude = fields.Float()
    region = fields.String()
    region_code = fields.String(allow_none=True, metadata={"description": "GB/T 2260 code of the division (China)"})
    country = fields.String()
    city = fields.String()
    timezone = fields.String()
    certifications = fields.List(fields.String())
    description = fields.String()
    created_at = fields.DateTime()


class FactoryPublicOut(ma.Schema):
    id = fields.UUID(attribute="public_id")
    name = fields.String()
    region = fields.String()
    region_code = fields.String(allow_none=True, metadata={"description": "GB/T 2260 code of the division (China)"})
    certifications = fields.List(fields.String())
    quality = fields.Float(metadata={"description": "supplier quality in [0, 1] (scorecard and buyers' ratings); "
                                                    "`sort=quality` ranks by it"})


class MachineIn(StrictSchema):
    factory_id = fields.UUID(required=True)
    name = Name(required=True)
    model = fields.String(load_default="", validate=validate.Length(max=200))
    processes = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=30))
    status = fields.String(load_default="active", validate=validate.OneOf(MACHINE_STATUSES))
    hourly_rate_minor = Money(load_default=0)
    currency = Currency(load_default="CNY")
    envelope_x_mm = Integer(allow_none=True, validate=validate.Range(min=1, max=100000))
    envelope_y_mm = Integer(allow_none=True, validate=validate.Range(min=1, max=100000))
    envelope_z_mm = Integer(allow_none=True, validate=validate.Range(min=1, max=100000))
    tolerance_um = Integer(allow_none=True, validate=validate.Range(min=0, max=100000))


class MachinePatch(MachineIn):
    class Meta:
        exclude = ("factory_id",)


class MachineOut(ma.Schema):
    id = fields.UUID(attribute="public_id")
    factory_id = fields.Function(lambda m: str(m.factory.public_id))
    name = fields.String()
    model = fields.String()
    processes = fields.List(fields.String())
    status = fields.String()
    hourly_rate_minor = Integer()
    currency = fields.String()
    envelope_x_mm = Integer(allow_none=True)
    envelope_y_mm = Integer(allow_none=True)
    envelope_z_mm = Integer(allow_none=True)
    tolerance_um = Integer(allow_none=True)


class WindowTerms(StrictSchema):
    machine_id = fields.UUID(required=True)
    pricing_mode = fields.String(required=True, validate=validate.OneOf(PRICING_MODES))
    price = Money(required=True, metadata={"description": "minor units per hour or per piece; basis points of job value for percent_of_value"})
    currency = Currency(load_default="CNY")
    min_lot = Integer(load_default=1, validate=validate.Range(min=1, max=10**7))
    lead_time_days = Integer(load_default=0, validate=validate.Range(min=0, max=365))


class WindowIn(WindowTerms):
    start = fields.DateTime(required=True, metadata={"description": "ISO 8601; without offset = factory local time"})
    end = fields.DateTime(required=True)


class RecurringIn(WindowTerms):
    first_date = fields.Date(required=True)
    weeks = Integer(required=True, validate=validate.Range(min=1, max=26))
    weekdays = fields.List(Integer(validate=validate.Range(min=0, max=6)), required=True,
                           validate=validate.Length(min=1, max=7), metadata={"description": "0 = Monday"})
    start_time = fields.Time(required=True, metadata={"description": "factory local time; end <= start runs past midnight"})
    end_time = fields.Time(required=True)


class WindowOut(ma.Schema):
    id = fields.UUID(attribute="public_id")
    machine_id = fields.Function(lambda w: str(w.machine.public_id))
    start = fields.DateTime(attribute="start_at")
    end = fields.DateTime(attribute="end_at")
    pricing_mode = fields.String()
    price = Integer()
    currency = fields.String()
    min_lot = Integer()
    lead_time_days = Integer()
    status = fields.String()
    series_id = fields.UUID(allow_none=True)


class WindowListArgs(SyncArgs):
    machine_id = fields.UUID()
    status = fields.String(validate=validate.OneOf(WINDOW_STATUSES))


class SearchArgs(PageArgs):
    process = fields.String()
    process_class = fields.String()
    from_ = fields.AwareDateTime(data_key="from", attribute="start")
    to = fields.AwareDateTime(attribute="end")
    region = fields.String(metadata={"description": "a GB/T 2260 code or a Chinese or English name of a province, "
                                                    "city or district, in any case and spacing (a city finds its "
                                                    "districts); elsewhere the region or city as written"})
    lat = fields.Float(attribute="latitude", validate=validate.Range(min=-90, max=90))
    lon = fields.Float(attribute="longitude", validate=validate.Range(min=-180, max=180))
    radius_km = fields.Float(validate=validate.Range(min=0, max=20000))
    certification = fields.List(fields.String(), attribute="certifications")
    pricing_mode = fields.String(validate=validate.OneOf(PRICING_MODES))
    max_price = Integer(validate=validate.Range(min=0))
    min_lot_at_most = Integer(validate=validate.Range(min=1))
    sort = fields.String(load_default="start", validate=validate.OneOf(list(SORTS)))


class MachinePublicOut(ma.Schema):
    id = fields.UUID(attribute="public_id")
    name = fields.String()
    model = fields.String()
    processes = fields.List(fields.String())
    tolerance_um = Integer(allow_none=True)


class WindowHitOut(WindowOut):
    machine_id = fields.UUID(attribute="machine_public_id")


class HitOut(ma.Schema):
    window = fields.Nested(WindowHitOut)
    machine = fields.Nested(MachinePublicOut)
    factory = fields.Nested(FactoryPublicOut)
    distance_km = fields.Float(allow_none=True)


class ProcessOut(ma.Schema):
    code = fields.String()
    class_code = fields.String()
    kind = fields.String()
    en = fields.String()
    zh_CN = fields.String()


class CertificationOut(ma.Schema):
    code = fields.String()
    en = fields.String()
    zh_CN = fields.String()


class ScheduleArgs(StrictSchema):
    from_ = fields.AwareDateTime(data_key="from", attribute="start")
    to = fields.AwareDateTime(attribute="end")


class BarOut(ma.Schema):
    start = fields.DateTime(attribute="start_at")
    end = fields.DateTime(attribute="end_at")
    kind = fields.String(metadata={"description": "booked | open | unavailable"})
    order_id = fields.UUID(attribute="order_public_id", allow_none=True)
    order_title = fields.String()
    due_at = fields.DateTime(allow_none=True)
    late = fields.Boolean()


class ScheduleRowOut(ma.Schema):
    machine_id = fields.UUID(attribute="machine_public_id")
    name = fields.String()
    status = fields.String()
    bars = fields.List(fields.Nested(BarOut))


class ScheduleOut(ma.Schema):
    factory_name = fields.String()
    timezone = fields.String()
    start = fields.DateTime()
    end = fields.DateTime()
    rows = fields.List(fields.Nested(ScheduleRowOut))
