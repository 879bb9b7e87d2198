"""EPCIS 2.0 export of lots (docs/api.md, "EPCIS 2.0 export"): for the buyer and the factories
working on the order, like the lot itself. No public variant: the public trace page already
serves the same entries with proofs, and integrators pulling EPCIS hold a token."""
from uuid import UUID

import marshmallow as ma
from flask_smorest import Blueprint

from market.auth import api_actor, require_token
from market.trace import epcis

blp = Blueprint("epcis_api", __name__, url_prefix="/api/v1", description="GS1 EPCIS 2.0 export of lots")


class EpcisDocumentOut(ma.Schema):
    context = ma.fields.Raw(attribute="@context", data_key="@context", metadata={
        "description": "the GS1 EPCIS 2.0 context and our `mkt` namespace for extension fields"})
    type = ma.fields.String(metadata={"description": "EPCISDocument"})
    schemaVersion = ma.fields.String(metadata={"description": "2.0"})  # noqa: N815 - EPCIS spelling
    creationDate = ma.fields.String(metadata={"description": "ISO 8601 UTC"})  # noqa: N815
    epcisBody = ma.fields.Dict(metadata={  # noqa: N815
        "description": "`eventList`: one ObjectEvent or TransformationEvent per ledger entry, in ledger order"})


@blp.route("/lots/<uuid:lot_id>/epcis")
@require_token("read")
@blp.response(200, EpcisDocumentOut)
def lot_epcis(lot_id: UUID):
    """A lot's ledger events as a GS1 EPCIS 2.0 JSON-LD document (validates against GS1's
    EPCIS 2.0 JSON schema); private details stay commitments."""
    return epcis.of_lot(api_actor(), lot_id)


@blp.route("/orders/<uuid:order_id>/epcis")
@require_token("read")
@blp.response(200, EpcisDocumentOut)
def order_epcis(order_id: UUID):
    """All lots of an order as one GS1 EPCIS 2.0 JSON-LD document, events in ledger order."""
    return epcis.of_order(api_actor(), order_id)
