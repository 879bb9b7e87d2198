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
@blp.response(200, BundleOut)
def proof(index: int):
    """Proof bundle of one entry against the latest signed checkpoint (see docs/ledger.md)."""
    return services.proof_bundle(index)
