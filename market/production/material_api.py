"""REST API of materials, genealogy, quality documents and sampling plans."""
from uuid import UUID

from flask_smorest import Blueprint

from market.api_common import PageArgs, page_schema
from market.auth import api_actor, require_token
from market.orders.schemas import FileIn
from market.pagination import page_of
from market.production import documents, materials, sampling
from market.production import material_schemas as sc

blp = Blueprint("materials_api", __name__, url_prefix="/api/v1",
                description="Materials, lot genealogy, quality documents, ISO 2859-1 sampling")


@blp.route("/material-lots")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(sc.MaterialLotOut))
def list_material_lots(args):
    """The material lots your factories hold."""
    return page_of(materials.material_lots(api_actor()), **args)


@blp.route("/material-lots", methods=["POST"])
@require_token("write")
@blp.arguments(sc.MaterialLotIn)
@blp.response(201, sc.MaterialLotOut)
def record_material_lot(data: dict):
    """Record material your factory received (written to the ledger; heat number, supplier and
    quantity as a salted commitment). Attach its mill certificate with POST …/documents."""
    return materials.record_material_lot(api_actor(), data)


@blp.route("/material-lots/<uuid:material_lot_id>")
@require_token("read")
@blp.response(200, sc.MaterialLotOut)
def get_material_lot(material_lot_id: UUID):
    """One material lot (material, grade, heat number, supplier, quantity left)."""
    return materials.get_material_lot(api_actor(), material_lot_id)


@blp.route("/material-lots/<uuid:material_lot_id>/documents", methods=["POST"])
@require_token("write")
@blp.arguments(sc.DocumentFormIn, location="form")
@blp.arguments(FileIn, location="files")
@blp.response(201, sc.DocumentOut)
def attach_material_document(form: dict, files: dict, material_lot_id: UUID):
    """Attach a document (a mill certificate: kind material_cert) to a material lot you hold."""
    return documents.attach_to_material_lot(api_actor(), material_lot_id, form["kind"], form["public"], files["file"])


@blp.route("/lots/<uuid:lot_id>/inputs")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(sc.InputOut))
def list_inputs(args, lot_id: UUID):
    """What a lot consumed: material lots and sub-tier lots, with quantities."""
    return page_of(materials.inputs_of(api_actor(), lot_id), **args)


@blp.route("/lots/<uuid:lot_id>/inputs", methods=["POST"])
@require_token("write")
@blp.arguments(sc.InputIn)
@blp.response(201, sc.InputOut)
def consume(data: dict, lot_id: UUID):
    """Consume a quantity of a material lot, or pieces of a lot you made or received, into this
    lot (an EPCIS transformation). More than remains is refused with 422 on the field."""
    item = materials.consume(api_actor(), lot_id, data)
    return next(v for v in materials.inputs_of(api_actor(), lot_id) if v.input.id == item.id)


@blp.route("/lots/<uuid:lot_id>/documents")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(sc.DocumentOut))
def list_documents(args, lot_id: UUID):
    """A lot's quality documents (certificates, inspection reports)."""
    return page_of(documents.lot_documents(api_actor(), lot_id), **args)


@blp.route("/lots/<uuid:lot_id>/documents", methods=["POST"])
@require_token("write")
@blp.arguments(sc.DocumentFormIn, location="form")
@blp.arguments(FileIn, location="files")
@blp.response(201, sc.DocumentOut)
def attach_document(form: dict, files: dict, lot_id: UUID):
    """Attach a quality document (pdf, png, jpg…) to a lot; its SHA-256 goes onto the ledger."""
    return documents.attach_to_lot(api_actor(), lot_id, form["kind"], form["public"], files["file"])


@blp.route("/documents/<uuid:document_id>/file")
@require_token("read")
@blp.response(200, content_type="application/octet-stream")
def download_document(document_id: UUID):
    """Download a quality document."""
    return documents.send(documents.document_file(api_actor(), document_id))


@blp.route("/orders/<uuid:order_id>/required-documents", methods=["PUT"])
@require_token("write")
@blp.arguments(sc.RequiredDocumentsIn)
@blp.response(200, sc.RequiredDocumentsOut)
def set_required_documents(data: dict, order_id: UUID):
    """The buyer names the documents each lot must carry; shipping a lot without them is 409."""
    return documents.set_required_documents(api_actor(), order_id, data["documents"])


@blp.route("/sampling-plans")
@blp.doc(security=[])  # public: no token
@blp.arguments(sc.SamplingArgs, location="query")
@blp.response(200, sc.SamplingPlanOut)
def sampling_plan(args: dict):
    """ISO 2859-1 single sampling plan, normal inspection, general inspection level II."""
    return sampling.plan(args["lot_size"], args["aql"])
