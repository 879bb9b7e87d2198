"""A factory's public profile page: the catalog's public facts and credit's supplier
scorecard, served under the catalog's URL and endpoint name (catalog.public_factory, which
templates link to). Imported by create_app before the blueprints are registered; the route
is added once, at import."""
from flask import render_template

from market.catalog import services
from market.catalog.views import bp
from market.credit.supplier import supplier_card


@bp.get("/f/<uuid:factory_id>")
def public_factory(factory_id):
    return render_template("catalog/public_factory.html", factory=services.public_profile(factory_id),
                           supplier=supplier_card(factory_id))
