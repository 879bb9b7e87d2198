"""Portal: the buyer rates its delivered order from the order page; a rated factory replies
from its public profile. Routes of the credit blueprint (imported by create_app)."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from market.auth import Actor, portal_actor
from market.credit import ratings
from market.credit import ratings_schemas as sc
from market.credit.views import bp
from market.errors import DomainError
from market.web import forms


def order_panel(actor: Actor, order) -> dict:
    """Credit's part of the order page (market/orders/page.py): the order's rating, and
    whether the viewer may rate it now."""
    return {"rating": ratings.rating_of_order(actor, order.public_id), "may_rate": ratings.may_rate(actor, order)}


def _refused(exc: Exception, words: dict) -> tuple[dict, int]:
    """A refused rating or reply as field errors in the reader's language: the rule's own words
    where we have them (a refusal's code, a field's rule in MESSAGES), else the catalogue's."""
    errors, status = forms.refused(exc)
    if isinstance(exc, DomainError) and exc.extra.get("code") in ratings.MESSAGES:
        field = next(iter(exc.errors)) if exc.errors else "_"
        return {field: [ratings.message(exc)]}, status
    return {k: [ratings.MESSAGES[words[k]]] if k in words else v for k, v in errors.items()}, status


@bp.post("/orders/<uuid:order_id>/rating")
@login_required
def rate_order(order_id):
    from market.orders.views import order_page

    actor = portal_actor()
    ratings.rating_of_order(actor, order_id)  # someone else's order: 404 before any word on the form
    values = forms.clean(request.form)
    raw = {**values, "show_buyer_name": "show_buyer_name" in request.form}
    try:
        data = forms.load(sc.RatingIn(), raw)
        ratings.rate_order(actor, order_id, **data)
    except (forms.FormError, DomainError) as exc:
        errors, status = _refused(exc, {"stars": "rating.stars", "comment": "rating.comment_too_long"})
        return order_page(actor, order_id, "rating", values, errors), status
    flash(_("Thank you. Your rating is on the factory's public profile."), "success")
    return redirect(url_for("orders.show", order_id=order_id) + "#rating")


@bp.post("/f/<uuid:factory_id>/ratings/<uuid:rating_id>/reply")
@login_required
def reply_to_rating(factory_id, rating_id):
    from market.credit.public_profile import profile_page

    # the reply's one field; whatever else a form posts is no business of this action
    values = {"body": request.form.get("body", "")}
    try:
        data = forms.load(sc.ReplyIn(), forms.clean(values))
        ratings.reply(portal_actor(), factory_id, rating_id, data["body"])
    except (forms.FormError, DomainError) as exc:
        errors, status = _refused(exc, {"body": "reply.too_long" if values["body"].strip() else "reply.empty"})
        return profile_page(factory_id, f"reply-{rating_id}", values, errors), status
    flash(_("Your reply is published."), "success")
    return redirect(url_for("catalog.public_factory", factory_id=factory_id, page=request.args.get("page")) + "#ratings")
