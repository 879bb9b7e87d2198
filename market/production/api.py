"""REST API of production: lots, operation start/finish, QC, shipment, delivery."""
from uuid import UUID

from flask_smorest import Blueprint

from market.api_common import SyncArgs, page_schema
from market.auth import api_actor, require_token
from market.production import services
from market.production.schemas import FinishIn, LotIn, LotOut, QcIn, QcOut, ShipmentIn, StartIn

blp = Blueprint("production_api", __name__, url_prefix="/api/v1", description="Production: lots, QC, shipment")


@blp.route("/orders/<uuid:order_id>/lots")
@require_token("read")
@blp.arguments(SyncArgs, location="query")
@blp.response(200, page_schema(LotOut))
def list_lots(args, order_id: UUID):
    """The production lots of an order, first lot first; with `updated_since`, the lots changed
    since then by (updated_at, id)."""
    return services.lot_page(api_actor(), order_id, **args)


@blp.route("/orders/<uuid:order_id>/lots", methods=["POST"])
@require_token("write")
@blp.arguments(LotIn)
@blp.response(201, LotOut)
def commission_lot(data: dict, order_id: UUID):
    """Start a lot (its trace code is made now); the first lot puts the order in production.
    Only the factory the accepted quote placed the first operation with may do this."""
    return services.commission_lot(api_actor(), order_id, data.get("quantity"))


@blp.route("/lots/<uuid:lot_id>")
@require_token("read")
@blp.response(200, LotOut)
def get_lot(lot_id: UUID):
    """One lot with its operations, QC records and trace code."""
    return services.get_lot(api_actor(), lot_id)[0]


@blp.route("/lots/<uuid:lot_id>/operations/<int:seq>/start", methods=["POST"])
@require_token("write")
@blp.arguments(StartIn)
@blp.response(200, LotOut)
def start_operation(data: dict, lot_id: UUID, seq: int):
    """Operations run in order: operation n starts after n-1 finished for this lot."""
    return services.start_operation(api_actor(), lot_id, seq, data.get("machine_id"))


@blp.route("/lots/<uuid:lot_id>/operations/<int:seq>/finish", methods=["POST"])
@require_token("write")
@blp.arguments(FinishIn)
@blp.response(200, LotOut)
def finish_operation(data: dict, lot_id: UUID, seq: int):
    """Finish an operation of a lot (good and scrap quantities)."""
    return services.finish_operation(api_actor(), lot_id, seq, data["good"], data["rejected"])


@blp.route("/lots/<uuid:lot_id>/qc", methods=["POST"])
@require_token("write")
@blp.arguments(QcIn)
@blp.response(201, QcOut)
def record_qc(data: dict, lot_id: UUID):
    """Inspection after an operation, or the final one (no operation_seq) before shipping."""
    return services.record_qc(api_actor(), lot_id, data)


@blp.route("/lots/<uuid:lot_id>/shipment", methods=["POST"])
@require_token("write")
@blp.arguments(ShipmentIn)
@blp.response(200, LotOut)
def ship(data: dict, lot_id: UUID):
    """Needs every operation finished and a passing final inspection."""
    return services.ship_lot(api_actor(), lot_id, data["carrier"], data["tracking_ref"])


@blp.route("/lots/<uuid:lot_id>/delivery", methods=["POST"])
@require_token("write")
@blp.response(200, LotOut)
def confirm_delivery(lot_id: UUID):
    """The buyer confirms receipt; with the last lot the order is delivered."""
    return services.confirm_delivery(api_actor(), lot_id)
