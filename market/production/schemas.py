import marshmallow as ma

from market.api_common import Integer, StrictSchema
from market.production import codes


class LotIn(StrictSchema):
    quantity = Integer(validate=ma.validate.Range(min=1), metadata={"description": "default: the rest of the order"})


class StartIn(StrictSchema):
    machine_id = ma.fields.UUID(metadata={"description": "default: the machine the quote booked"})


class FinishIn(StrictSchema):
    good = Integer(required=True, validate=ma.validate.Range(min=0))
    rejected = Integer(load_default=0, validate=ma.validate.Range(min=0))


class MeasurementIn(StrictSchema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    value = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=40),
                             metadata={"description": "decimal, as measured, e.g. \"12.004\""})
    unit = ma.fields.String(load_default="", validate=ma.validate.Length(max=20))
    lower = ma.fields.String(validate=ma.validate.Length(max=40))
    upper = ma.fields.String(validate=ma.validate.Length(max=40))


class SamplingIn(StrictSchema):
    aql = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=10),
                           metadata={"description": "ISO 2859-1 AQL (percent nonconforming), e.g. \"1.0\""})
    nonconforming = Integer(required=True, validate=ma.validate.Range(min=0, max=2**31 - 1),
                            metadata={"description": "nonconforming items found in the sample"})
    lot_size = Integer(validate=ma.validate.Range(min=2, max=2**31 - 1),
                       metadata={"description": "default: the lot's quantity"})


class QcIn(StrictSchema):
    operation_seq = Integer(allow_none=True,
                            metadata={"description": "inspected operation; omit for the final inspection"})
    result = ma.fields.String(validate=ma.validate.OneOf(["pass", "fail"]),
                              metadata={"description": "required unless `sampling` decides it"})
    sampling = ma.fields.Nested(SamplingIn, metadata={
        "description": "single sampling, normal inspection, level II: the plan for the lot and the "
                       "nonconforming count decide the result (Re or more fails the lot)"})
    inspector = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    measurements = ma.fields.List(ma.fields.Nested(MeasurementIn), load_default=list,
                                  validate=ma.validate.Length(max=200))
    corrects = ma.fields.UUID(metadata={"description": "id of an earlier inspection of this lot that this "
                                                       "one corrects (the earlier record stays, marked corrected)"})


class ShipmentIn(StrictSchema):
    carrier = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    tracking_ref = ma.fields.String(load_default="", validate=ma.validate.Length(max=100))


class LotOperationOut(ma.Schema):
    seq = ma.fields.Integer()
    process_code = ma.fields.String()
    factory_id = ma.fields.Function(lambda o: str(o.factory.public_id))
    factory = ma.fields.Function(lambda o: o.factory.name)
    machine_id = ma.fields.Function(lambda o: str(o.machine.public_id))
    machine = ma.fields.Function(lambda o: o.machine.name)
    started_at = ma.fields.DateTime()
    finished_at = ma.fields.DateTime(allow_none=True)
    good = ma.fields.Integer()
    rejected = ma.fields.Integer()
    start_ledger_index = ma.fields.Integer(allow_none=True)
    finish_ledger_index = ma.fields.Integer(allow_none=True)


class MeasurementOut(ma.Schema):
    name = ma.fields.String()
    value = ma.fields.String()
    unit = ma.fields.String()
    lower = ma.fields.String()
    upper = ma.fields.String()


class QcOut(ma.Schema):
    id = ma.fields.UUID(attribute="public_id")
    operation_seq = ma.fields.Integer(allow_none=True)
    result = ma.fields.String()
    inspector = ma.fields.String()
    measurements = ma.fields.List(ma.fields.Nested(MeasurementOut))
    sampling = ma.fields.Dict(allow_none=True, metadata={"description": "ISO 2859-1 plan and the count found"})
    recorded_at = ma.fields.DateTime()
    ledger_index = ma.fields.Integer(allow_none=True)
    corrects = ma.fields.Method("_corrects", allow_none=True)
    corrected = ma.fields.Method("_corrected", metadata={"description": "a later inspection corrects this one"})

    def _corrects(self, qc):
        return str(qc.corrects.public_id) if qc.corrects else None

    def _corrected(self, qc):
        return bool(qc.corrected_by)


class LotOut(ma.Schema):
    id = ma.fields.UUID(attribute="public_id")
    trace_code = ma.fields.Function(lambda lot: codes.display(lot.trace_code))
    quantity = ma.fields.Integer()
    status = ma.fields.String(metadata={"description": "in_production | shipped | delivered"})
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()
    shipped_at = ma.fields.DateTime(allow_none=True)
    carrier = ma.fields.String()
    tracking_ref = ma.fields.String()
    delivered_at = ma.fields.DateTime(allow_none=True)
    ledger_index = ma.fields.Integer(allow_none=True)
    operations = ma.fields.List(ma.fields.Nested(LotOperationOut))
    qc_results = ma.fields.List(ma.fields.Nested(QcOut))
