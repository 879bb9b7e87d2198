"""REST API for bids: a factory bids on an order, revises or withdraws; the buyer counters,
declines or accepts (which books the factory's capacity); the thread keeps every step.
Sealed: a factory reads its own bids only, never another's (404)."""
from uuid import UUID

import marshmallow as ma
from flask_smorest import Blueprint

from market.api_common import PageArgs, idempotent, page_schema
from market.auth import api_actor, require_token
from market.bidding import award, comparison, services
from market.bidding import schemas as sc
from market.orders import attachments as files
from market.orders.schemas import FileIn
from market.pagination import page_of

blp = Blueprint("bidding_api", __name__, url_prefix="/api/v1", description="Factory bids and counter-offers")


@blp.route("/orders/<uuid:order_id>/bids", methods=["POST"])
@require_token("write")
@idempotent
@blp.arguments(sc.BidIn)
@blp.response(201, sc.BidOut)
def submit(data, order_id: UUID):
    """Factories invited to quote, or seeing the order on the board: bid a price for the whole
    order (`price_minor`) or per operation (`operation_prices`), a promised date and a validity.
    409 when the order is no longer open or you already have a live bid on it (revise it)."""
    return services.submit_bid(api_actor(), order_id, data)


@blp.route("/orders/<uuid:order_id>/bids")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(sc.BidOut))
def on_order(args, order_id: UUID):
    """The buyer: every bid on the order, cheapest first. A factory: its own bid only."""
    return page_of(services.bids_on_order(api_actor(), order_id), **args)


@blp.route("/bids")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(sc.BidOut))
def mine(args):
    """A factory's own bids, newest first."""
    return page_of(services.my_bids(api_actor()), **args)


@blp.route("/bids/<uuid:bid_id>")
@require_token("read")
@blp.response(200, sc.BidOut)
def get(bid_id: UUID):
    """One bid with its terms and counter-offer."""
    return services.get_bid(api_actor(), bid_id)


@blp.route("/bids/<uuid:bid_id>/revisions", methods=["POST"])
@require_token("write")
@blp.arguments(sc.BidIn)
@blp.response(201, sc.BidOut)
def revise(data, bid_id: UUID):
    """The bidding factory's new terms (the old ones stay in the thread)."""
    return services.revise_bid(api_actor(), bid_id, data)


@blp.route("/bids/<uuid:bid_id>/withdraw", methods=["POST"])
@require_token("write")
@blp.arguments(sc.NoteIn)
@blp.response(200, sc.BidOut)
def withdraw(data, bid_id: UUID):
    """The factory withdraws its bid."""
    return services.withdraw_bid(api_actor(), bid_id, data["note"])


@blp.route("/bids/<uuid:bid_id>/counter", methods=["POST"])
@require_token("write")
@blp.arguments(sc.CounterIn)
@blp.response(200, sc.BidOut)
def counter(data, bid_id: UUID):
    """The buyer's counter-offer: a price, a promised date or both. 409 on a bid that is not
    open (withdrawn, expired, already countered, decided)."""
    return services.counter_bid(api_actor(), bid_id, data)


@blp.route("/bids/<uuid:bid_id>/counter/accept", methods=["POST"])
@require_token("write")
@blp.response(200, sc.BidOut)
def accept_counter(bid_id: UUID):
    """The factory takes the counter: its figures become the bid's terms (next revision)."""
    return services.answer_counter(api_actor(), bid_id, accept=True)


@blp.route("/bids/<uuid:bid_id>/counter/reject", methods=["POST"])
@require_token("write")
@blp.arguments(sc.NoteIn)
@blp.response(200, sc.BidOut)
def reject_counter(data, bid_id: UUID):
    """The factory rejects the buyer's counter-offer; its bid stands."""
    return services.answer_counter(api_actor(), bid_id, accept=False, note=data["note"])


@blp.route("/bids/<uuid:bid_id>/decline", methods=["POST"])
@require_token("write")
@blp.arguments(sc.NoteIn)
@blp.response(200, sc.BidOut)
def decline(data, bid_id: UUID):
    """The buyer declines a bid."""
    return services.decline_bid(api_actor(), bid_id, data["note"])


@blp.route("/bids/<uuid:bid_id>/accept", methods=["POST"])
@require_token("write")
@blp.response(200, sc.BidOut)
def accept(bid_id: UUID):
    """The buyer accepts the bid at its standing terms: the solver places the order on the
    bidding factory's open capacity by its promised date and the booking is made all or
    nothing. 409 when that capacity was taken meanwhile (with `fresh_quote_job`; the bid
    stays open), or cannot finish by the promised date."""
    return award.accept_bid(api_actor(), bid_id)


@blp.route("/bids/<uuid:bid_id>/attachments", methods=["POST"])
@require_token("write")
@blp.arguments(FileIn, location="files")
@blp.response(201, sc.BidAttachmentOut)
def upload(data, bid_id: UUID):
    """A document for the bid (pdf, png, jpg, step/stp, dxf, stl; checked by content and size)."""
    return services.add_attachment(api_actor(), bid_id, data["file"])


@blp.route("/bid-attachments/<uuid:bid_attachment_id>")
@require_token("read")
@blp.response(200, content_type="application/octet-stream")
def download(bid_attachment_id: UUID):
    """Download a bid attachment."""
    return files.send(services.get_attachment(api_actor(), bid_attachment_id))


class OfferOut(ma.Schema):
    kind = ma.fields.String(metadata={"description": "quote (the solver's) | bid (a factory's)"})
    id = ma.fields.String()
    label = ma.fields.String()
    status = ma.fields.String()
    total_minor = ma.fields.Integer()
    currency = ma.fields.String()
    promised_at = ma.fields.DateTime()
    late = ma.fields.Boolean(metadata={"description": "promised after the order's due date"})
    factories = ma.fields.List(ma.fields.String())
    on_time_rate = ma.fields.Float(allow_none=True, metadata={"description": "lowest of the factories' scorecards"})
    qc_pass_rate = ma.fields.Float(allow_none=True)
    jobs_completed = ma.fields.Integer(allow_none=True)
    distance_km = ma.fields.Float(allow_none=True, metadata={
        "description": "farthest factory from the delivery address, None without coordinates"})


@blp.route("/orders/<uuid:order_id>/offers")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(OfferOut))
def offers(args, order_id: UUID):
    """The buyer: the solver's quotes and the factories' bids side by side, comparable on
    price, promised date, supplier score and distance."""
    return page_of(comparison.offers(api_actor(), order_id), **args)
