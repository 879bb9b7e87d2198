"""Request and response shapes of materials, lot inputs, quality documents and sampling plans."""
import marshmallow as ma

from market.api_common import Integer, StrictSchema
from market.production import codes, quantities, sampling
from market.production.material_models import DOCUMENT_KINDS, MATERIAL_SOURCES, UNITS

QUANTITY = {"description": "decimal in the lot's unit, at most 3 decimals, e.g. \"125.5\""}


class MaterialLotIn(StrictSchema):
    source = ma.fields.String(required=True, validate=ma.validate.OneOf(MATERIAL_SOURCES))
    order_id = ma.fields.UUID(metadata={"description": "the order buyer-supplied material was supplied for"})
    factory_id = ma.fields.UUID(metadata={"description": "which of your factories holds it (default: your first)"})
    material = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    grade = ma.fields.String(load_default="", validate=ma.validate.Length(max=100),
                             metadata={"description": "grade or specification, e.g. 6061-T6, GB/T 3190"})
    heat_number = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100),
                                   metadata={"description": "heat or batch number (committed on the ledger)"})
    supplier = ma.fields.String(load_default="", validate=ma.validate.Length(max=200),
                                metadata={"description": "committed on the ledger"})
    quantity = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=30), metadata=QUANTITY)
    unit = ma.fields.String(required=True, validate=ma.validate.OneOf(UNITS))
    public_cert = ma.fields.Boolean(load_default=False,
                                    metadata={"description": "portal upload: show the mill certificate publicly"})

    @ma.validates("quantity")
    def _quantity(self, value, **kwargs):
        if quantities.parse(value) is None:
            raise ma.ValidationError("a positive decimal with at most 3 decimals")


class DocumentOut(ma.Schema):
    id = ma.fields.UUID(attribute="public_id")
    kind = ma.fields.String(metadata={"description": " | ".join(DOCUMENT_KINDS)})
    public = ma.fields.Boolean()
    filename = ma.fields.String()
    content_type = ma.fields.String()
    size_bytes = ma.fields.Integer()
    sha256 = ma.fields.String()
    uploaded_at = ma.fields.DateTime()
    ledger_index = ma.fields.Integer(allow_none=True)


class MaterialLotOut(ma.Schema):
    id = ma.fields.UUID(attribute="public_id")
    source = ma.fields.String()
    factory_id = ma.fields.Function(lambda m: str(m.factory.public_id))
    factory = ma.fields.Function(lambda m: m.factory.name)
    material = ma.fields.String()
    grade = ma.fields.String()
    heat_number = ma.fields.String()
    supplier = ma.fields.String()
    unit = ma.fields.String()
    quantity = ma.fields.Function(lambda m: quantities.display(m.quantity_milli))
    remaining = ma.fields.Function(lambda m: quantities.display(m.remaining_milli))
    received_at = ma.fields.DateTime()
    ledger_index = ma.fields.Integer(allow_none=True)
    documents = ma.fields.List(ma.fields.Nested(DocumentOut))


class DocumentFormIn(StrictSchema):
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(DOCUMENT_KINDS))
    public = ma.fields.Boolean(load_default=False, metadata={"description": "shown (and downloadable) on the "
                                                                            "public trace page; else only its hash"})


class InputIn(StrictSchema):
    material_lot_id = ma.fields.UUID(metadata={"description": "a material lot you hold; with `quantity`"})
    quantity = ma.fields.String(validate=ma.validate.Length(min=1, max=30), metadata=QUANTITY)
    input_lot = ma.fields.String(validate=ma.validate.Length(min=1, max=40),
                                 metadata={"description": "id or trace code of a lot you made or received; "
                                                          "with `pieces`"})
    pieces = Integer(validate=ma.validate.Range(min=1, max=2**31 - 1))

    @ma.validates_schema
    def _one_input(self, data, **kwargs):
        if bool(data.get("material_lot_id")) == bool(data.get("input_lot")):
            raise ma.ValidationError("name a material lot (with quantity) or a lot (with pieces)", "material_lot_id")
        if data.get("material_lot_id") and not data.get("quantity"):
            raise ma.ValidationError("how much of the material lot went in", "quantity")
        if data.get("input_lot") and not data.get("pieces"):
            raise ma.ValidationError("how many pieces of the lot went in", "pieces")


class InputOut(ma.Schema):
    id = ma.fields.Function(lambda v: str(v.input.public_id))
    material_lot_id = ma.fields.Function(lambda v: str(v.material.public_id) if v.material else None)
    material = ma.fields.Function(lambda v: f"{v.material.material} {v.material.grade}".strip() if v.material else None)
    heat_number = ma.fields.Function(lambda v: v.material.heat_number if v.material else None)
    quantity = ma.fields.Function(lambda v: quantities.display(v.input.quantity_milli) if v.material else None)
    unit = ma.fields.Function(lambda v: v.material.unit if v.material else None)
    input_lot = ma.fields.Function(lambda v: codes.display(v.source_lot.trace_code) if v.source_lot else None)
    pieces = ma.fields.Function(lambda v: v.input.pieces)
    recorded_at = ma.fields.Function(lambda v: v.input.recorded_at.isoformat())
    ledger_index = ma.fields.Function(lambda v: v.input.ledger_index)


class RequiredDocumentsIn(StrictSchema):
    documents = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(DOCUMENT_KINDS)), required=True,
                               validate=ma.validate.Length(max=len(DOCUMENT_KINDS)))


class RequiredDocumentsOut(ma.Schema):
    order_id = ma.fields.UUID(attribute="public_id")
    required_documents = ma.fields.List(ma.fields.String())


class SamplingArgs(StrictSchema):
    lot_size = Integer(required=True, validate=ma.validate.Range(min=2, max=2**31 - 1))
    aql = ma.fields.String(required=True, validate=ma.validate.OneOf(sampling.AQLS),
                           metadata={"description": "AQL, percent nonconforming: " + ", ".join(sampling.AQLS)})


class SamplingPlanOut(ma.Schema):
    lot_size = ma.fields.Integer()
    aql = ma.fields.String()
    code_letter = ma.fields.String(metadata={"description": "Table 1, general inspection level II"})
    plan_letter = ma.fields.String(metadata={"description": "the letter whose plan applies after Table 2-A's arrows"})
    sample_size = ma.fields.Integer()
    ac = ma.fields.Integer()
    re = ma.fields.Integer()
