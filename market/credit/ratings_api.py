"""REST API of ratings: the buyer rates its delivered order, a rated factory replies, anyone
signed in reads a factory's ratings."""
from uuid import UUID

from flask_smorest import Blueprint

from market.api_common import PageArgs
from market.auth import api_actor, require_token
from market.credit import ratings
from market.credit import ratings_schemas as sc
from market.errors import NotFound

blp = Blueprint("ratings_api", __name__, url_prefix="/api/v1", description="Buyers' ratings of delivered orders")


@blp.route("/orders/<uuid:order_id>/rating", methods=["POST"])
@require_token("write")
@blp.arguments(sc.RatingIn)
@blp.response(201, sc.RatingOut)
def rate(data, order_id: UUID):
    """Rate a delivered order, once (its buyer). 409 before delivery or when already rated."""
    return ratings.rate_order(api_actor(), order_id, **data)


@blp.route("/orders/<uuid:order_id>/rating")
@require_token("read")
@blp.response(200, sc.RatingOut)
def show(order_id: UUID):
    """The order's rating (404 while there is none)."""
    rating = ratings.rating_of_order(api_actor(), order_id)
    if rating is None:
        raise NotFound(f"order {order_id} has no rating yet")
    return rating


@blp.route("/factories/<uuid:factory_id>/ratings/<uuid:rating_id>/reply", methods=["POST"])
@require_token("write")
@blp.arguments(sc.ReplyIn)
@blp.response(201, sc.SubjectOut)
def reply(data, factory_id: UUID, rating_id: UUID):
    """The rated factory's one public reply (403 for anyone else, 409 for a second one)."""
    return ratings.reply(api_actor(), factory_id, rating_id, data["body"])


@blp.route("/factories/<uuid:factory_id>/ratings")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, sc.RatingsPage)
def of_factory(args, factory_id: UUID):
    """A factory's ratings, newest first, with their summary and the supplier quality."""
    page = ratings.public_ratings(factory_id, **args)
    return {"summary": ratings.summary(factory_id), **page.envelope()}
