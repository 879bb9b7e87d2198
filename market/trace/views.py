"""Operator's ledger page (size, checkpoints and their anchors, audit on demand) and the
public trace pages of lots (no login)."""
from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from market.auth import portal_actor
from market.policy import require_kind
from market.production import codes, documents, labels
from market.trace import services

bp = Blueprint("trace", __name__)


@bp.get("/operator/ledger")
@login_required
def ledger():
    actor = portal_actor()
    report = services.run_audit(actor) if request.args.get("audit") else None
    return render_template("trace/ledger.html", status=services.status(actor), report=report)


@bp.post("/operator/ledger/checkpoint")
@login_required
def checkpoint():
    require_kind(portal_actor(), "operator")
    cp, anchor, error = services.checkpoint()
    if error:
        flash(_("Checkpoint %(n)d signed; anchoring failed and will be retried: %(e)s", n=cp.seq, e=error), "error")
    elif anchor.status == "confirmed":
        flash(_("Checkpoint %(n)d signed and anchored in block %(b)s.", n=cp.seq, b=anchor.block_number), "success")
    else:  # mined, not yet final: the periodic checkpoint confirms it after ANCHOR_CONFIRMATIONS blocks
        flash(_("Checkpoint %(n)d signed and sent to the chain in block %(b)s; final after %(k)d confirmations.",
                n=cp.seq, b=anchor.block_number, k=current_app.config["ANCHOR_CONFIRMATIONS"]), "success")
    return redirect(url_for("trace.ledger"))


@bp.get("/trace")
def lookup():
    code = request.args.get("code", "").strip()
    if code:
        found = codes.normalize(code)
        if found:
            return redirect(url_for("trace.public", code=codes.display(found)))
        flash(_("A trace code has 12 letters and digits, like 7KQ2-M9XD-4RTA."), "error")
    return render_template("trace/lookup.html", code=code)


@bp.get("/trace/<code>")
def public(code: str):
    trace = services.lot_trace(code)
    return render_template("trace/public.html", trace=trace, code=trace["trace_code"],
                           by_index={e["index"]: e for e in trace["entries"]})


@bp.get("/trace/<code>/documents/<uuid:document_id>")
def document(code: str, document_id):
    """A public quality document of a lot in this trace code's genealogy (no login)."""
    return documents.send(documents.public_document(code, document_id))


@bp.get("/trace/<code>/qr.svg")
def qr(code: str):
    found = codes.normalize(code)
    if not found:
        return redirect(url_for("trace.lookup"))
    return Response(labels.qr_svg(codes.display(found)), mimetype="image/svg+xml")
