"""REST API for orders (RFQs): create, edit, lifecycle, invitations, thread, drawings."""
from uuid import UUID

from flask import jsonify
from flask_smorest import Blueprint

from market.api_common import PageArgs, idempotent, page_schema
from market.auth import api_actor, require_token
from market.orders import attachments as files
from market.orders import schemas as sc
from market.orders import reads, services
from market.pagination import page_of

blp = Blueprint("orders_api", __name__, url_prefix="/api/v1", description="Orders (RFQs)")


@blp.route("/orders")
@require_token("read")
@blp.arguments(sc.OrderListArgs, location="query")
@blp.response(200, page_schema(sc.OrderOut))
def list_orders(args):
    """Buyers: their orders. Factories: orders they were invited to quote on."""
    # rows dumped as the declared schema would (market/orders/reads.py): no entity graph
    return jsonify(reads.order_page(api_actor(), **args))


@blp.route("/orders", methods=["POST"])
@require_token("write")
@idempotent
@blp.arguments(sc.OrderIn)
@blp.response(201, sc.OrderOut)
def create_order(data):
    """Post an order. Send `Idempotency-Key` to make retries safe."""
    return services.create_order(api_actor(), data)


@blp.route("/orders/<uuid:order_id>")
@require_token("read")
@blp.response(200, sc.OrderOut)
def get_order(order_id: UUID):
    """An order with its operations and history, as its buyer or a factory working on it sees it."""
    return jsonify(reads.order_detail(api_actor(), order_id))


@blp.route("/orders/<uuid:order_id>", methods=["PATCH"])
@require_token("write")
@blp.arguments(sc.OrderPatch(partial=True))
@blp.response(200, sc.OrderOut)
def update_order(data, order_id: UUID):
    """Edit a draft or open order."""
    return services.update_order(api_actor(), order_id, data)


@blp.route("/orders/<uuid:order_id>/transitions", methods=["POST"])
@require_token("write")
@blp.arguments(sc.TransitionIn)
@blp.response(200, sc.OrderOut)
def transition(data, order_id: UUID):
    """Move the order along its lifecycle; illegal moves get 409 with the allowed ones."""
    return services.transition(api_actor(), order_id, data["to"], data["note"])


@blp.route("/order-board")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(sc.BoardOrderOut))
def order_board(args):
    """For factories: open orders with operations their machines can do."""
    return services.order_board(api_actor(), **args)


@blp.route("/orders/<uuid:order_id>/quote-requests", methods=["POST"])
@require_token("write")
@blp.arguments(sc.QuoteRequestIn)
@blp.response(201, sc.InvitedOut)
def invite(data, order_id: UUID):
    """Ask a factory to quote: it may then see the drawings and the thread."""
    return services.invite_factory(api_actor(), order_id, data["factory_id"])


@blp.route("/orders/<uuid:order_id>/quote-requests")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(sc.InvitedOut))
def invited(args, order_id: UUID):
    """The factories invited to quote on an order (the buyer's view)."""
    return page_of(services.invited_factories(api_actor(), order_id), **args)


@blp.route("/orders/<uuid:order_id>/messages")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(sc.MessageOut))
def messages(args, order_id: UUID):
    """The order's message thread between the buyer and its factories."""
    return page_of(services.list_messages(api_actor(), order_id), **args)


@blp.route("/orders/<uuid:order_id>/messages", methods=["POST"])
@require_token("write")
@blp.arguments(sc.MessageIn)
@blp.response(201, sc.MessageOut)
def post_message(data, order_id: UUID):
    """Post a message on the order's thread."""
    return services.post_message(api_actor(), order_id, data["body"])


@blp.route("/orders/<uuid:order_id>/attachments")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(sc.AttachmentOut))
def attachments(args, order_id: UUID):
    """The order's attachments (drawings, specifications)."""
    return page_of(services.list_attachments(api_actor(), order_id), **args)


@blp.route("/orders/<uuid:order_id>/attachments", methods=["POST"])
@require_token("write")
@blp.arguments(sc.FileIn, location="files")
@blp.response(201, sc.AttachmentOut)
def upload(data, order_id: UUID):
    """Attach a drawing (pdf, png, jpg, step/stp, dxf, stl; checked by content and size)."""
    return services.add_attachment(api_actor(), order_id, data["file"])


@blp.route("/attachments/<uuid:attachment_id>")
@require_token("read")
@blp.response(200, content_type="application/octet-stream")
def download(attachment_id: UUID):
    """Download an order attachment."""
    return files.send(services.get_attachment(api_actor(), attachment_id))
