"""Portal: the lessor's leases (offer form, fund flow, machine monitor, rent), the lessee's
offers to sign and its rent. Amounts are typed and shown in major units."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from market.api_common import MAX_MINOR
from market.auth import portal_actor
from market.errors import DomainError, NotFound
from market.leasing import monitoring, rent, services
from market.leasing import schemas as sc
from market.leasing.models import KINDS, SCHEDULES
from market.web import forms

bp = Blueprint("leasing", __name__)

LABELS = {"new": _l("new equipment from a supplier"), "leaseback": _l("sale and leaseback"),
          "fixed": _l("fixed rent"), "usage": _l("per run hour, with a floor"), "hybrid": _l("fixed plus per run hour"),
          "offered": _l("offered"), "signed": _l("signed"), "active": _l("active"), "declined": _l("declined"),
          "ended": _l("ended"), "open": _l("open"), "paid": _l("paid"), "overdue": _l("overdue"),
          "down_48h": _l("down for 48 hours or more"), "idle": _l("idle: no run time for 7 days"),
          "moved": _l("moved to another factory"), "running": _l("running"), "down": _l("down"),
          "setup": _l("setup"), "planned_stop": _l("planned stop"), "offline": _l("offline"),
          "lease_disbursement": _l("disbursement to the payee"), "lease_rent": _l("rent to the lessor"),
          "pending": _l("waiting for the bank's confirmation"), "succeeded": _l("arrived"), "failed": _l("failed")}
MONEY_FIELDS = ("price", "down_payment", "fixed", "rate_per_hour", "floor")


@bp.app_context_processor
def _labels():
    return {"lease_label": lambda code: str(LABELS.get(code, code))}


def _offer_values(form) -> dict:
    """The offer form (amounts in major units) -> LeaseIn's shape (minor units)."""
    raw = forms.clean(form)
    for name in MONEY_FIELDS:
        if name in raw:
            key = "rate_minor_per_hour" if name == "rate_per_hour" else f"{name}_minor"
            raw[key] = forms.scaled_int(raw.pop(name), key, places=2, maximum=MAX_MINOR)
    return forms.load(sc.LeaseIn(), raw)


@bp.get("/leases")
@login_required
def index():
    return _index_page(portal_actor())


def _index_page(actor, values: dict | None = None, errors: dict | None = None):
    """The leases page; a refused offer comes back with what was typed and why, by field."""
    if actor.org_kind not in ("lender", "factory", "operator"):
        raise NotFound("no lease pages for this organization")
    return render_template("leasing/index.html", leases=services.leases_of(actor), actor=actor, kinds=KINDS,
                           schedules=SCHEDULES, values=values or {}, errors=errors or {},
                           choices=services.offer_choices(actor))


@bp.post("/leases")
@login_required
def offer():
    actor = portal_actor()
    try:
        lease = services.offer(actor, **_offer_values(request.form))
    except forms.FormError as exc:
        return _index_page(actor, forms.clean(request.form), exc.errors), 422
    except NotFound as exc:
        if not exc.errors:  # an unknown lease or page stays a 404; a refused field is the form's
            raise
        return _index_page(actor, forms.clean(request.form), forms.field_errors(exc)), 422
    except DomainError as exc:
        return _index_page(actor, forms.clean(request.form), forms.field_errors(exc)), exc.status
    flash(_("Lease offered. The factory signs or declines it."), "success")
    return redirect(url_for("leasing.detail", lease_id=lease.public_id))


@bp.get("/leases/<uuid:lease_id>")
@login_required
def detail(lease_id):
    actor = portal_actor()
    lease = services.get(actor, lease_id)
    transfers = services.transfers(actor, lease_id)
    return render_template("leasing/detail.html", lease=lease, actor=actor, m=monitoring.monitor(actor, lease_id),
                           invoices=rent.invoices_of(actor, lease_id), transfers=transfers,
                           moving={t.item for t in transfers if t.state == "pending"})


@bp.get("/leases/<uuid:lease_id>/contract-<lang>.pdf")
@login_required
def contract_pdf(lease_id, lang):
    return Response(services.contract_pdf(portal_actor(), lease_id, lang), mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="lease-{lease_id}-{lang}.pdf"'})


@bp.post("/leases/<uuid:lease_id>/sign")
@login_required
def sign(lease_id):
    with forms.flashing_errors():
        services.sign(portal_actor(), lease_id, accept=request.form.get("accept") == "1")
    return redirect(url_for("leasing.detail", lease_id=lease_id))


@bp.post("/leases/<uuid:lease_id>/disburse")
@login_required
def disburse(lease_id):
    with forms.flashing_errors():
        services.disburse(portal_actor(), lease_id)
        flash(_("Disbursement requested: the supplier is the payee; the lease starts when the payment is confirmed."),
              "success")
    return redirect(url_for("leasing.detail", lease_id=lease_id))


@bp.post("/lease-invoices/<uuid:invoice_id>/payment")
@login_required
def pay(invoice_id):
    with forms.flashing_errors():
        inv = rent.record_payment(portal_actor(), invoice_id)
        return redirect(url_for("leasing.detail", lease_id=inv.lease.public_id))
    return redirect(url_for("leasing.index"))


@bp.post("/lease-invoices/<uuid:invoice_id>/rent-payment")
@login_required
def pay_rent(invoice_id):
    with forms.flashing_errors():
        t = rent.pay(portal_actor(), invoice_id)
        flash(_("Rent payment requested: the invoice is paid when the bank transfer is confirmed."), "success")
        return redirect(url_for("leasing.detail", lease_id=t.contract))
    return redirect(url_for("leasing.index"))


@bp.get("/lease-invoices/<uuid:invoice_id>/evidence.json")
@login_required
def evidence(invoice_id):
    from flask import json

    bundle = rent.evidence(portal_actor(), invoice_id)
    return Response(json.dumps(bundle), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="rent-evidence-{invoice_id}.json"'})
