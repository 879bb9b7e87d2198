"""Public ledger API: anyone may fetch a proof and check it with `python -m ledger verify-proof`."""
import marshmallow as ma
from flask_smorest import Blueprint

from market.trace import services

blp = Blueprint("ledger_api", __name__, url_prefix="/api/v1", description="Tamper-evident ledger (public)")


class BundleOut(ma.Schema):
    format = ma.fields.String()
    entry = ma.fields.String(metadata={"description": "base64 of the entry's canonical JSON bytes"})
    index = ma.fields.Integer()
    size = ma.fields.Integer()
    inclusion_path = ma.fields.List(ma.fields.String())
    checkpoint = ma.fields.String(metadata={"description": "C2SP signed checkpoint note"})
    public_key = ma.fields.String()
    anchor = ma.fields.Dict(allow_none=True)


@blp.route("/ledger/entries/<int:index>/proof")
@blp.doc(security=[])  # public: no token
@blp.response(200, BundleOut)
def proof(index: int):
    """Proof bundle of one entry against the latest signed checkpoint (see docs/ledger.md)."""
    return services.proof_bundle(index)


class TraceEntryOut(ma.Schema):
    index = ma.fields.Integer()
    entry = ma.fields.String(metadata={"description": "base64 of the entry's canonical JSON bytes"})
    inclusion_path = ma.fields.List(ma.fields.String(), metadata={"description": "base64 hashes, RFC 9162 order"})
    event = ma.fields.Dict(metadata={"description": "the entry's event, decoded (for display; check `entry`)"})


class DocumentShownOut(ma.Schema):
    id = ma.fields.String()
    kind = ma.fields.String(metadata={"description": "coc | fai | material_cert | inspection_report"})
    sha256 = ma.fields.String(metadata={"description": "hex SHA-256 of the file, as on the ledger"})
    public = ma.fields.Boolean()
    filename = ma.fields.String(allow_none=True, metadata={"description": "public documents only"})
    index = ma.fields.Integer(allow_none=True, metadata={"description": "its document.attached entry"})


class GenealogyNodeOut(ma.Schema):
    kind = ma.fields.String(metadata={"description": "material | lot"})
    id = ma.fields.String(metadata={"description": "material lot id (material)"})
    material = ma.fields.String()
    grade = ma.fields.String()
    source = ma.fields.String(metadata={"description": "buyer_supplied | factory_procured (material)"})
    trace_code = ma.fields.String(metadata={"description": "the consumed part lot's code (lot)"})
    part_number = ma.fields.String()
    quantity = ma.fields.Integer()
    status = ma.fields.String()
    entries = ma.fields.List(ma.fields.Integer(), metadata={"description": "ledger indices of the node's own events"})
    via = ma.fields.List(ma.fields.Integer(), metadata={"description": "the lot.consumed entry that links it"})
    documents = ma.fields.List(ma.fields.Nested(DocumentShownOut))
    inputs = ma.fields.List(ma.fields.Nested(lambda: GenealogyNodeOut()))


class TraceOut(ma.Schema):
    trace_code = ma.fields.String()
    part_number = ma.fields.String()
    quantity = ma.fields.Integer()
    status = ma.fields.String()
    names = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(),
                           metadata={"description": "display names of factory and machine ids in the events"})
    entries = ma.fields.List(ma.fields.Nested(TraceEntryOut),
                             metadata={"description": "the lot's entries and its genealogy's, each proved"})
    own_entries = ma.fields.List(ma.fields.Integer(), metadata={"description": "indices of the lot's own entries"})
    documents = ma.fields.List(ma.fields.Nested(DocumentShownOut))
    genealogy = ma.fields.List(ma.fields.Nested(GenealogyNodeOut),
                               metadata={"description": "material lots and part lots consumed, recursively"})
    genealogy_cut = ma.fields.Boolean(metadata={"description": "the tree was too large and is cut short"})
    size = ma.fields.Integer(metadata={"description": "tree size of the checkpoint the proofs lead to"})
    checkpoint = ma.fields.String(metadata={"description": "C2SP signed checkpoint note"})
    public_key = ma.fields.String()
    anchor = ma.fields.Dict(allow_none=True)
    witness_keys = ma.fields.List(ma.fields.String(), metadata={
        "description": "the operator's witnesses (C2SP vkeys, type 0x04) whose cosignatures the checkpoint may carry"})
    witness_quorum = ma.fields.Integer(metadata={"description": "how many of them must have cosigned"})


@blp.route("/trace/<code>")
@blp.doc(security=[])  # public: no token
@blp.response(200, TraceOut)
def trace(code: str):
    """A lot's history by its trace code (no login): every ledger entry with its inclusion
    proof against one signed checkpoint. Prices and drawings are never in it."""
    return services.lot_trace(code)


class ConsistencyArgs(ma.Schema):
    old = ma.fields.Integer(required=True, validate=ma.validate.Range(min=0),
                            metadata={"description": "the smaller tree size"})
    new = ma.fields.Integer(required=True, validate=ma.validate.Range(min=0),
                            metadata={"description": "the larger tree size, at most the latest checkpoint's"})


class ConsistencyOut(ma.Schema):
    old_size = ma.fields.Integer()
    new_size = ma.fields.Integer()
    old_root = ma.fields.String(metadata={"description": "base64 root hash at the old size"})
    new_root = ma.fields.String(metadata={"description": "base64 root hash at the new size"})
    proof = ma.fields.List(ma.fields.String(), metadata={"description": "base64 hashes, RFC 9162 §2.1.4 order"})


@blp.route("/ledger/consistency")
@blp.doc(security=[])  # public: no token
@blp.arguments(ConsistencyArgs, location="query")
@blp.response(200, ConsistencyOut)
def consistency(args):
    """RFC 9162 consistency proof between any two tree sizes up to the latest signed
    checkpoint (tlog-tiles clients can compute the same from `/tile/...`)."""
    return services.consistency(args["old"], args["new"])


class InclusionArgs(ma.Schema):
    index = ma.fields.Integer(required=True, validate=ma.validate.Range(min=0))
    size = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1),
                             metadata={"description": "tree size, at most the latest checkpoint's"})


class InclusionOut(ma.Schema):
    index = ma.fields.Integer()
    size = ma.fields.Integer()
    leaf_hash = ma.fields.String(metadata={"description": "base64 RFC 6962 leaf hash of the entry"})
    root = ma.fields.String(metadata={"description": "base64 root hash at that size"})
    proof = ma.fields.List(ma.fields.String(), metadata={"description": "base64 hashes, RFC 9162 §2.1.3 order"})


@blp.route("/ledger/inclusion")
@blp.doc(security=[])  # public: no token
@blp.arguments(InclusionArgs, location="query")
@blp.response(200, InclusionOut)
def inclusion(args):
    """RFC 9162 inclusion proof of entry `index` in the tree of `size` entries."""
    return services.inclusion(args["index"], args["size"])
