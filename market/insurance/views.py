"""Portal: the insurer's policies (offer form on consenting factories' machines, claims to
decide), the insured's offers to accept, its premiums with the factors that moved them, and
claims pre-filled from the machine's downtime. Amounts are typed and shown in major units."""
from __future__ import annotations

from flask import Blueprint, Response, flash, json, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from market.api_common import MAX_MINOR
from market.auth import portal_actor
from market.errors import DomainError, NotFound
from market.i18n import money
from market.insurance import claims, premiums, rating, services
from market.insurance import schemas as sc
from market.insurance.tariff import BAND, COVERAGES
from market.web import confirm as confirmation
from market.web import forms

bp = Blueprint("insurance", __name__)

LABELS = {"breakdown": _l("breakdown: downtime loss"), "warranty": _l("extended warranty"),
          "offered": _l("offered"), "active": _l("in force"), "declined": _l("declined"), "ended": _l("ended"),
          "open": _l("open"), "paid": _l("paid"), "overdue": _l("overdue"),
          "filed": _l("filed"), "approved": _l("approved"), "rejected": _l("rejected"),
          "run_hours": _l("Run hours per 30 days"), "load": _l("Mean spindle load (%)"),
          "downtime_share": _l("Downtime share"), "mttr_hours": _l("Mean time to repair (hours)"),
          "maintenance": _l("Maintenance records (90 days)"),
          "ledger": _l("from the ledger"), "platform": _l("platform data")}
KINDS = ("insurer", "factory", "operator")


@bp.app_context_processor
def _labels():
    return {"insurance_label": lambda code: str(LABELS.get(code, code)), "insurance_basis": rating.BASIS,
            "insurance_bands": BAND}


def _offer_values(form) -> dict:
    """The offer form (amounts in major units, the machine as factory/machine) -> PolicyIn's shape."""
    raw = forms.clean(form)
    factory_id, _, machine_id = raw.pop("machine", "").partition("/")
    raw.update({"factory_id": factory_id, "machine_id": machine_id})
    if "sum_insured" in raw:
        raw["sum_insured_minor"] = forms.scaled_int(raw.pop("sum_insured"), "sum_insured_minor", places=2,
                                                    maximum=MAX_MINOR)
    if "rate_per_hour" in raw:
        raw["rate_minor_per_hour"] = forms.scaled_int(raw.pop("rate_per_hour"), "rate_minor_per_hour", places=2,
                                                      maximum=MAX_MINOR)
    return forms.load(sc.PolicyIn(), raw)


@bp.get("/insurance")
@login_required
def index():
    return _index_page(portal_actor())


def _index_page(actor, values: dict | None = None, errors: dict | None = None):
    """The policies page; a refused offer comes back with what was typed."""
    if actor.org_kind not in KINDS:
        raise NotFound("no insurance pages for this organization")
    return render_template("insurance/index.html", policies=services.policies_of(actor), actor=actor,
                           coverages=COVERAGES, machines=services.insurable_machines(actor),
                           values=values or {}, errors=errors or {})


# the offer form's fields by the names the schema and the services give their errors
OFFER_FIELDS = {"factory_id": "machine", "machine_id": "machine", "sum_insured_minor": "sum_insured",
                "rate_minor_per_hour": "rate_per_hour"}


def _as_typed(errors: dict, names: dict) -> dict:
    """Errors named after the schema's fields -> after the form's inputs."""
    out: dict = {}
    for key, messages in errors.items():
        out.setdefault(names.get(key, key), []).extend(messages)
    return out


@bp.post("/insurance")
@login_required
def offer():
    actor = portal_actor()
    try:
        p = services.offer(actor, **_offer_values(request.form))
    except (forms.FormError, DomainError) as exc:
        errors, status = forms.refused(exc)
        return _index_page(actor, forms.clean(request.form), _as_typed(errors, OFFER_FIELDS)), status
    flash(_("Policy offered. The factory accepts or declines it."), "success")
    return redirect(url_for("insurance.detail", policy_id=p.public_id))


@bp.get("/insurance/<uuid:policy_id>")
@login_required
def detail(policy_id):
    return _detail_page(portal_actor(), policy_id)


def _detail_page(actor, policy_id, refused: str = "", values: dict | None = None, errors: dict | None = None):
    """The policy page; a refused claim decision comes back in its claim's row (`refused`:
    "approve-<claim>" or "reject-<claim>") with what was typed."""
    p = services.get(actor, policy_id)
    return render_template("insurance/detail.html", p=p, actor=actor,
                           periods=premiums.explained(premiums.invoices_of(actor, policy_id)),
                           candidates=claims.candidates(actor, policy_id), claims=claims.claims_of(actor, policy_id),
                           refused=refused, values=values or {}, errors=errors or {})


@bp.post("/insurance/<uuid:policy_id>/accept")
@login_required
def accept(policy_id):
    with forms.flashing_errors():
        services.accept(portal_actor(), policy_id, accept=request.form.get("accept") == "1")
    return redirect(url_for("insurance.detail", policy_id=policy_id))


@bp.post("/insurance/<uuid:policy_id>/claims")
@login_required
def file_claim(policy_id):
    actor = portal_actor()
    services.get(actor, policy_id)  # another's policy is not found, whatever the form holds
    with forms.flashing_errors():
        data = forms.load(sc.ClaimFileIn(), forms.clean(request.form))
        claims.file_claim(actor, policy_id, **data)
        flash(_("Claim filed. The insurer verifies the loss window against the ledger and decides."), "success")
    return redirect(url_for("insurance.detail", policy_id=policy_id))


@bp.post("/insurance-premiums/<uuid:premium_id>/payment")
@login_required
def pay(premium_id):
    with forms.flashing_errors():
        inv = premiums.record_payment(portal_actor(), premium_id)
        return redirect(url_for("insurance.detail", policy_id=inv.policy.public_id))
    return redirect(url_for("insurance.index"))


@bp.post("/insurance-claims/<uuid:claim_id>/decision")
@login_required
def decide(claim_id):
    actor = portal_actor()
    claim = claims.get_claim(actor, claim_id)
    values = forms.clean(request.form)
    try:
        raw = dict(values)
        if "approved" in raw:
            raw["approved_minor"] = forms.scaled_int(raw.pop("approved"), "approved_minor", places=2, maximum=MAX_MINOR)
        data = forms.load(sc.ClaimDecisionIn(), raw)
        amount = claims.check_decision(actor, claim_id, **data)
        if data["approve"]:
            asked = confirmation.typed(_("Approve"), _("Approve this claim for %(amount)s? The insured is told, and "
                                                       "the decision goes on the ledger.",
                                                       amount=money(amount, claim.policy.currency)))
        else:
            asked = confirmation.typed(_("Reject"), _("Reject this claim? The insured is told your reason, and the "
                                                      "decision goes on the ledger."))
        if asked is not None:
            return asked
        claims.decide(actor, claim_id, **data)
    except (forms.FormError, DomainError) as exc:
        errors, status = forms.refused(exc)
        step = "approve" if values.get("approve") == "true" else "reject"
        return _detail_page(actor, claim.policy.public_id, f"{step}-{claim_id}", values,
                            _as_typed(errors, {"approved_minor": "approved"})), status
    flash(_("Claim decided."), "success")
    return redirect(url_for("insurance.detail", policy_id=claim.policy.public_id))


@bp.get("/insurance-claims/<uuid:claim_id>/evidence.json")
@login_required
def evidence(claim_id):
    bundle = claims.evidence(portal_actor(), claim_id)
    return Response(json.dumps(bundle), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="claim-evidence-{claim_id}.json"'})
