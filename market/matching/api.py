"""REST API for quotes: request (background solve), poll, compare, accept (books capacity)."""
from uuid import UUID

import marshmallow as ma
from flask_smorest import Blueprint

from market.api_common import SyncArgs, page_schema
from market.auth import api_actor, require_token
from market.matching import services, stranded, terms

blp = Blueprint("matching_api", __name__, url_prefix="/api/v1", description="Quotes and bookings")


class QuoteLineOut(ma.Schema):
    seq = ma.fields.Integer()
    process_code = ma.fields.String()
    factory_id = ma.fields.Function(lambda line: str(line.factory.public_id))
    factory = ma.fields.Function(lambda line: line.factory.name)
    machine_id = ma.fields.Function(lambda line: str(line.machine.public_id))
    machine = ma.fields.Function(lambda line: line.machine.name)
    start = ma.fields.DateTime(attribute="start_at")
    end = ma.fields.DateTime(attribute="end_at")
    price_minor = ma.fields.Integer()


class QuoteOut(ma.Schema):
    id = ma.fields.UUID(attribute="public_id")
    label = ma.fields.String(metadata={"description": "cheapest | fastest | balanced"})
    status = ma.fields.String()
    price_minor = ma.fields.Integer()
    transport_minor = ma.fields.Integer()
    total_minor = ma.fields.Integer()
    currency = ma.fields.String()
    promised_at = ma.fields.DateTime()
    lateness_minutes = ma.fields.Integer()
    expires_at = ma.fields.DateTime()
    lines = ma.fields.List(ma.fields.Nested(QuoteLineOut))
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()
    platform_terms = ma.fields.Function(lambda q: terms.platform_terms(q), metadata={
        "description": "what the platform keeps (commission, paid by the factories) and what each factory receives"})


class JobOut(ma.Schema):
    id = ma.fields.UUID(attribute="public_id")
    kind = ma.fields.String()
    status = ma.fields.String(metadata={"description": "queued | running | done | failed"})
    result = ma.fields.Dict()
    error = ma.fields.String()
    created_at = ma.fields.DateTime()
    finished_at = ma.fields.DateTime(allow_none=True)


@blp.route("/orders/<uuid:order_id>/quotes", methods=["POST"])
@require_token("write")
@blp.response(202, JobOut)
def request_quotes(order_id: UUID):
    """Ask the solver for up to three alternatives; poll the returned job."""
    return services.request_quotes(api_actor(), order_id)


class RequoteOut(ma.Schema):
    order_id = ma.fields.UUID(metadata={"description": "the new, open order"})
    job = ma.fields.Nested(JobOut, metadata={"description": "the quote solve for the new order; poll it"})


@blp.route("/orders/<uuid:order_id>/requote", methods=["POST"])
@require_token("write")
@blp.response(202, RequoteOut)
def requote(order_id: UUID):
    """After a failed re-plan (work stuck on a machine that is down, nothing started): cancel
    the accepted order, re-post it as a new open order and solve fresh quotes over all
    factories. 409 when the order is not accepted or nothing of it is stuck."""
    new_id, job = stranded.requote_elsewhere(api_actor(), order_id)
    return {"order_id": new_id, "job": job}


@blp.route("/orders/<uuid:order_id>/quotes")
@require_token("read")
@blp.arguments(SyncArgs, location="query")
@blp.response(200, page_schema(QuoteOut))
def list_quotes(args, order_id: UUID):
    """The solver's quotes for an order (the buyer's view), newest first; with `updated_since`,
    the quotes changed since then by (updated_at, id)."""
    return services.quote_page(api_actor(), order_id, **args)


@blp.route("/jobs/<uuid:job_id>")
@require_token("read")
@blp.response(200, JobOut)
def job(job_id: UUID):
    """A background job's state (quote solve, batch match): poll until done."""
    return services.get_job(api_actor(), job_id)


@blp.route("/quotes/<uuid:quote_id>")
@require_token("read")
@blp.response(200, QuoteOut)
def get_quote(quote_id: UUID):
    """One quote with its lines (machine windows, prices, promised dates)."""
    return services.get_quote(api_actor(), quote_id)


@blp.route("/quotes/<uuid:quote_id>/accept", methods=["POST"])
@require_token("write")
@blp.response(200, QuoteOut)
def accept(quote_id: UUID):
    """Book the quote's capacity, all or nothing. 409 when it was taken meanwhile."""
    return services.accept_quote(api_actor(), quote_id)


@blp.route("/batch-matches", methods=["POST"])
@require_token("write")
@blp.response(202, JobOut)
def batch():
    """Operator: match all open orders against all open capacity at once; each filled order
    gets a 'batch' quote its buyer may accept."""
    return services.request_batch_match(api_actor())
