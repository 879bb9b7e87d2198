"""Portal: a factory bids on an order (from the board or an invitation), follows and answers
its bid's thread; the buyer compares the solver's quotes with the bids and counters,
declines or accepts. Views parse the form, call one service, render."""
from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from market.api_common import MAX_MINOR
from market.auth import portal_actor
from market.bidding import award, comparison, services
from market.db import utcnow
from market.bidding import schemas as sc
from market.errors import DomainError, NotFound
from market.matching.services import CapacityTaken
from market.orders import attachments as files
from market.orders import services as orders
from market.web import forms

bp = Blueprint("bidding", __name__)

STATUS = {"open": _l("open"), "countered": _l("countered"), "withdrawn": _l("withdrawn"), "declined": _l("declined"),
          "accepted": _l("accepted"), "lost": _l("not chosen"), "closed": _l("closed"), "expired": _l("expired")}
STEPS = {"submitted": _l("submitted"), "revised": _l("revised"), "withdrawn": _l("withdrawn"),
         "countered": _l("counter-offer"), "counter_accepted": _l("counter-offer accepted"),
         "counter_rejected": _l("counter-offer rejected"), "declined": _l("declined"), "accepted": _l("accepted"),
         "lost": _l("not chosen"), "closed": _l("closed"), "expired": _l("expired")}


@bp.app_context_processor
def _labels():
    """Templates name a bid's status (expired when its validity passed), its steps and who took them."""
    def status(bid) -> str:
        code = bid if isinstance(bid, str) else ("expired" if bid.expired(utcnow()) else bid.status)
        return str(STATUS.get(code, code))

    return {"bid_status": status, "bid_step_label": lambda kind: str(STEPS.get(kind, kind)), "step_by": sc.step_by}


def _minor(text, field: str):
    return forms.scaled_int(text, field, places=2, maximum=MAX_MINOR)


def _current_values(bid) -> dict:
    """The bid's standing terms as the revise form shows them (major units, days in the portal's zone)."""
    tz = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    values = {"price_basis": bid.price_basis, "price": f"{Decimal(bid.price_minor).scaleb(-2):f}",
              "promised_at": bid.promised_at.astimezone(tz).date().isoformat(),
              "expires_at": bid.expires_at.astimezone(tz).date().isoformat(), "conditions": bid.conditions}
    values.update({f"op-{seq}-price": f"{Decimal(p).scaleb(-2):f}" for seq, p in bid.operation_prices.items()})
    return values


def _bid_values(form, order) -> dict:
    """The bid form (prices in major units, dates as days in the portal's zone) -> BidIn's shape."""
    typed = forms.clean(form, skip=("csrf_token",))
    values: dict = {"conditions": typed.get("conditions", "")}
    if typed.get("price_basis") == "operation":
        values["operation_prices"] = [{"seq": op.seq, "price_minor": _minor(typed.get(f"op-{op.seq}-price", ""),
                                                                            "operation_prices")}
                                      for op in order.operations]
    else:
        values["price_minor"] = _minor(typed.get("price", ""), "price_minor")
    for key in ("promised_at", "expires_at"):
        if typed.get(key):
            values[key] = typed[key]
    if typed.get("factory_id"):
        values["factory_id"] = typed["factory_id"]
    return forms.local_dates(values, ("promised_at", "expires_at"), end_of_day=("promised_at", "expires_at"))


@bp.route("/orders/<uuid:order_id>/bid", methods=["GET", "POST"])
@login_required
def new(order_id):
    """The factory's bid form (the order as the board shows it: no budget, no drawings)."""
    actor = portal_actor()
    order = services.biddable_order(actor, order_id)
    errors, values = {}, dict(request.form) if request.method == "POST" else {"price_basis": "order"}
    if request.method == "POST":
        try:
            data = forms.load(sc.BidIn(), _bid_values(request.form, order))
            bid = services.submit_bid(actor, order_id, data)
            flash(_("Your bid was sent to the buyer."), "success")
            return redirect(url_for("bidding.show", bid_id=bid.public_id))
        except forms.FormError as exc:
            errors = exc.errors
        except NotFound:
            raise
        except DomainError as exc:
            errors = forms.field_errors(exc)
    return render_template("bidding/form.html", order=order, values=values, errors=errors, bid=None), \
        422 if errors else 200


@bp.get("/bids")
@login_required
def index():
    return render_template("bidding/index.html", bids=services.my_bids(portal_actor()))


@bp.get("/bids/<uuid:bid_id>")
@login_required
def show(bid_id):
    return _bid_page(portal_actor(), bid_id)


def _bid_page(actor, bid_id, refused: str | None = None, values: dict | None = None, errors: dict | None = None):
    """The bid's page; a refused buyer's form (refused = "counter") comes back with what was typed
    (the factory's revise form has its own view)."""
    bid = services.get_bid(actor, bid_id)
    return render_template("bidding/show.html", bid=bid, order=services.order_of(actor, bid),
                           is_factory=bid.factory_org_id == actor.org_id, now=utcnow(),
                           values=_current_values(bid) if refused is None else values, errors=errors or {},
                           refused=refused)


@bp.post("/bids/<uuid:bid_id>/revise")
@login_required
def revise(bid_id):
    actor = portal_actor()
    bid = services.get_bid(actor, bid_id)
    order = services.order_of(actor, bid)
    try:
        data = forms.load(sc.BidIn(), _bid_values(request.form, order))
        services.revise_bid(actor, bid_id, data)
        flash(_("Your bid was revised."), "success")
        return redirect(url_for("bidding.show", bid_id=bid_id))
    except forms.FormError as exc:
        errors = exc.errors
    except NotFound:
        raise
    except DomainError as exc:
        errors = forms.field_errors(exc)
    return render_template("bidding/show.html", bid=bid, order=order, is_factory=True, now=utcnow(),
                           values=dict(request.form), errors=errors), 422


@bp.post("/bids/<uuid:bid_id>/withdraw")
@login_required
def withdraw(bid_id):
    with forms.flashing_errors():
        services.withdraw_bid(portal_actor(), bid_id, request.form.get("note", ""))
        flash(_("Your bid was withdrawn."), "success")
    return redirect(url_for("bidding.show", bid_id=bid_id))


@bp.post("/bids/<uuid:bid_id>/counter")
@login_required
def counter(bid_id):
    actor = portal_actor()
    services.get_bid(actor, bid_id)  # another tenant's bid: 404 before the form is read
    typed = forms.clean(request.form)
    try:
        values = {"note": typed.get("note", "")}
        if typed.get("price"):
            values["price_minor"] = _minor(typed["price"], "price")
        if typed.get("promised_at"):
            values["promised_at"] = typed["promised_at"]
        data = forms.load(sc.CounterIn(), forms.local_dates(values, ("promised_at",), end_of_day=("promised_at",)))
        services.counter_bid(actor, bid_id, data)
    except (forms.FormError, DomainError) as exc:
        errors, status = forms.refused(exc)
        return _bid_page(actor, bid_id, "counter", typed, errors), status
    flash(_("Your counter-offer was sent to the factory."), "success")
    return redirect(url_for("bidding.show", bid_id=bid_id))


@bp.post("/bids/<uuid:bid_id>/counter/<any(accept, reject):answer>")
@login_required
def answer(bid_id, answer):
    with forms.flashing_errors():
        services.answer_counter(portal_actor(), bid_id, accept=answer == "accept", note=request.form.get("note", ""))
        flash(_("The buyer was told your answer."), "success")
    return redirect(url_for("bidding.show", bid_id=bid_id))


@bp.post("/bids/<uuid:bid_id>/decline")
@login_required
def decline(bid_id):
    with forms.flashing_errors():
        services.decline_bid(portal_actor(), bid_id, request.form.get("note", ""))
        flash(_("The bid was declined."), "success")
    return redirect(url_for("bidding.show", bid_id=bid_id))


@bp.post("/bids/<uuid:bid_id>/accept")
@login_required
def accept(bid_id):
    actor = portal_actor()
    bid = services.get_bid(actor, bid_id)
    try:
        award.accept_bid(actor, bid_id)
    except CapacityTaken:
        flash(_("Someone booked part of this factory's capacity first. Try accepting again, or compare the "
                "fresh quotes being computed."), "error")
        return redirect(url_for("bidding.offers", order_id=bid.order.public_id))
    except NotFound:
        raise
    except DomainError as refused:
        flash(forms.words(refused), "error")
        return redirect(url_for("bidding.show", bid_id=bid_id))
    flash(_("Bid accepted: the factory's capacity is booked for you."), "success")
    return redirect(url_for("orders.show", order_id=bid.order.public_id))


@bp.post("/bids/<uuid:bid_id>/attachments")
@login_required
def attach(bid_id):
    actor = portal_actor()
    bid = services.get_bid(actor, bid_id)  # another's bid: 404 before the upload is read
    try:
        services.add_attachment(actor, bid_id, request.files.get("file"))
    except DomainError as exc:
        # all of it said at the file input (the revise form on the page shows "_" as its own);
        # nothing typed to keep: a browser never refills a file input
        errors, status = forms.refused(exc)
        return _bid_page(actor, bid_id, "attach", _current_values(bid),
                         {"file": [m for messages in errors.values() for m in messages]}), status
    flash(_("Document attached."), "success")
    return redirect(url_for("bidding.show", bid_id=bid_id))


@bp.get("/bid-attachments/<uuid:bid_attachment_id>")
@login_required
def download(bid_attachment_id):
    return files.send(services.get_attachment(portal_actor(), bid_attachment_id))


@bp.get("/orders/<uuid:order_id>/offers")
@login_required
def offers(order_id):
    """The buyer's side-by-side comparison of the solver's quotes and the factories' bids."""
    actor = portal_actor()
    order = orders.get_order(actor, order_id)
    return render_template("bidding/offers.html", order=order, offers=comparison.offers(actor, order_id))
