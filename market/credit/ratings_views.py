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
from market.errors import DomainError, NotFound
from market.web import forms


def order_panel(actor: Actor, order) -> dict:
    """Credit's part of the order page (market/orders/page.py): the order's rating, and
    whether the viewer may rate it now."""
    return {"rating": ratings.rating_of_order(actor, order.public_id), "may_rate": ratings.may_rate(actor, order)}


def _flash_refusal(exc: DomainError) -> None:
    flash(ratings.message(exc), "error")


def _flash_form_errors(exc: forms.FormError, words: dict) -> None:
    """A refused form field in the reader's language: the rule's own words where we have them
    (marshmallow's messages are English only)."""
    flash("; ".join(str(ratings.MESSAGES[words[k]]) if k in words else f"{k}: {' '.join(map(str, v))}"
                    for k, v in exc.errors.items()) or exc.detail, "error")


@bp.post("/orders/<uuid:order_id>/rating")
@login_required
def rate_order(order_id):
    back = redirect(url_for("orders.show", order_id=order_id) + "#rating")
    ratings.rating_of_order(portal_actor(), order_id)  # someone else's order: 404 before any word on the form
    raw = forms.clean(request.form)
    raw["show_buyer_name"] = "show_buyer_name" in request.form
    try:
        data = forms.load(sc.RatingIn(), raw)
        ratings.rate_order(portal_actor(), order_id, **data)
    except forms.FormError as exc:
        _flash_form_errors(exc, {"stars": "rating.stars", "comment": "rating.comment_too_long"})
        return back
    except NotFound:
        raise
    except DomainError as exc:
        _flash_refusal(exc)
        return back
    flash(_("Thank you. Your rating is on the factory's public profile."), "success")
    return back


@bp.post("/f/<uuid:factory_id>/ratings/<uuid:rating_id>/reply")
@login_required
def reply_to_rating(factory_id, rating_id):
    back = redirect(url_for("catalog.public_factory", factory_id=factory_id) + "#ratings")
    try:
        # the reply's one field; whatever else a form posts is no business of this action
        data = forms.load(sc.ReplyIn(), forms.clean({"body": request.form.get("body", "")}))
        ratings.reply(portal_actor(), factory_id, rating_id, data["body"])
    except forms.FormError as exc:
        _flash_form_errors(exc, {"body": "reply.too_long" if request.form.get("body", "").strip() else "reply.empty"})
        return back
    except NotFound:
        raise
    except DomainError as exc:
        _flash_refusal(exc)
        return back
    flash(_("Your reply is published."), "success")
    return back
