"""A factory's public profile page: the catalog's public facts, credit's supplier scorecard,
its supplier quality and its buyers' ratings, served under the catalog's URL and endpoint name
(catalog.public_factory, which templates link to). Imported by create_app before the
blueprints are registered; the route is added once, at import."""
from flask import render_template, request
from flask_login import current_user

from market.catalog import services
from market.catalog.views import bp
from market.credit import ratings
from market.credit.supplier import supplier_card


@bp.get("/f/<uuid:factory_id>")
def public_factory(factory_id):
    return profile_page(factory_id)


def profile_page(factory_id, refused: str | None = None, values: dict | None = None, errors: dict | None = None):
    """The profile; a refused reply (refused = "reply-<rating id>") comes back with what was typed."""
    factory = services.public_profile(factory_id)
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and len(page) < 7 else 1
    # the factory's own members may answer each rating once, here where everyone reads it
    own = current_user.is_authenticated and current_user.actor.org_id == factory.organization_id
    return render_template("catalog/public_factory.html", factory=factory, supplier=supplier_card(factory_id),
                           rating_summary=ratings.summary(factory_id), histogram=ratings.stars_histogram(factory_id),
                           ratings_page=ratings.public_ratings(factory_id, page=page), may_reply=own,
                           refused=refused, values=values or {}, errors=errors or {})
