"""zh-CN and en: chosen by the user, else from the browser's Accept-Language; the Jinja
filters and labels that need no domain. Domain-specific ones (taxonomy names, trace codes)
are registered by their domains' templating.py at start-up."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel import dates
from babel.numbers import get_currency_precision
from flask import Flask, request, session
from flask_babel import Babel, format_datetime, get_locale
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

LANGUAGES = {"en": "English", "zh_CN": "中文"}


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    best = request.accept_languages.best_match(["en", "zh_CN", "zh-CN", "zh"])
    return "zh_CN" if best and best.startswith("zh") else "en"


def locale_code() -> str:
    """'en' or 'zh_CN' (Babel parses zh_CN to zh_Hans_CN; templates want our own code)."""
    return "zh_CN" if str(get_locale() or "en").startswith("zh") else "en"


# what the portal and the PDFs print before the amount; other currencies print their ISO code
SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "JPY": "¥", "GBP": "£", "HKD": "HK$"}


def money(minor: int | None, currency: str = "CNY") -> str:
    """Integer minor units -> '¥1,234.56', exactly (no floats), with the currency's real
    exponent from Babel's ISO 4217 data (JPY and VND 0 decimals, KWD 3); the one money format
    of the portal, the e-mails and the PDFs."""
    if minor is None:
        return "—"
    digits = get_currency_precision(currency)
    sign, minor = ("-" if minor < 0 else ""), abs(minor)
    whole, frac = divmod(minor, 10**digits)
    text = f"{whole:,}" + (f".{frac:0{digits}d}" if digits else "")
    return f"{sign}{SYMBOLS.get(currency, currency + ' ')}{text}"


def local_time(moment: datetime | None, tz: str | None = None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """Show a stored UTC time in the factory's (or the viewer's default) time zone."""
    if moment is None:
        return "—"
    if tz:  # flask-babel's format_datetime always converts to the app's default zone
        return dates.format_datetime(moment, fmt, tzinfo=ZoneInfo(tz), locale=get_locale())
    return format_datetime(moment, fmt)


def wall_ms(moment: datetime, tz: str) -> int:
    """`moment` as the wall clock of zone `tz` reads it, in milliseconds since the epoch as if that
    reading were UTC: a chart drawn in UTC then labels its time axis in the factory's zone."""
    local = moment.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    return int((local - datetime(1970, 1, 1)).total_seconds() * 1000)


def iso_local(text: str, tz: str | None = None) -> str:
    """An ISO 8601 instant (a ledger event's, a re-plan's stored move), shown like any other time."""
    return local_time(datetime.fromisoformat(text.replace("Z", "+00:00")), tz)


def urlencode_page(args, page: int) -> str:
    from urllib.parse import urlencode

    pairs = [(k, v) for k, v in args.items(multi=True) if k != "page"]
    return urlencode(pairs + [("page", page)])


def init_app(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(app.root_path + "/translations"))
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals.update(locale_code=locale_code, LANGUAGES=LANGUAGES, state_label=label, label=label)
    app.jinja_env.filters.update(money=money, local_time=local_time, price=price,
                                 urlencode_page=urlencode_page, iso_local=iso_local,
                                 wall_ms=wall_ms)


LABELS = {
    # order states
    "draft": _l("Draft"), "open": _l("Open"), "quoted": _l("Quoted"), "accepted": _l("Accepted"),
    "in_production": _l("In production"), "shipped": _l("Shipped"), "delivered": _l("Delivered"),
    "closed": _l("Closed"), "cancelled": _l("Cancelled"), "disputed": _l("Disputed"),
    # pricing modes
    "per_hour": _l("per hour"), "per_piece": _l("per piece"), "percent_of_value": _l("share of job value"),
    # machine and window statuses
    "active": _l("Active"), "maintenance": _l("Maintenance"), "retired": _l("Retired"),
    "booked": _l("Booked"), "unavailable": _l("Unavailable"), "withdrawn": _l("Withdrawn"),
    # organization kinds
    "factory": _l("Factory"), "buyer": _l("Buyer"), "lender": _l("Lender"), "insurer": _l("Insurer"), "operator": _l("Operator"),
    # QC results and the production events of a lot's trace
    "pass": _l("Pass"), "fail": _l("Fail"),
    "lot.commissioned": _l("Lot started"), "operation.started": _l("Operation started"),
    "operation.completed": _l("Operation finished"), "qc.recorded": _l("Inspected"),
    "shipment.shipped": _l("Shipped"), "delivery.confirmed": _l("Received by the buyer"),
    "material.received": _l("Material received"), "lot.consumed": _l("Inputs consumed"),
    "document.attached": _l("Document attached"),
    # quality documents and material sources
    "coc": _l("Certificate of conformance"), "fai": _l("First-article inspection report"),
    "material_cert": _l("Material certificate"), "inspection_report": _l("Inspection report"),
    "buyer_supplied": _l("Supplied by the buyer"), "factory_procured": _l("Procured by the factory"),
    # credit: consent purposes, access-log actions, financing kinds and statuses
    "credit_assessment": _l("Credit assessment"), "order_financing": _l("Order financing"),
    "equipment_financing": _l("Equipment financing"), "monitoring": _l("Monitoring"), "insurance": _l("Insurance"),
    # insurance coverages and claim decisions
    "breakdown": _l("Breakdown (downtime loss)"), "warranty": _l("Extended warranty"), "rejected": _l("Rejected"),
    "granted": _l("Access granted"), "revoked": _l("Access revoked"), "report_issued": _l("Report issued"),
    "report_viewed": _l("Report viewed"), "report_pdf": _l("Report PDF downloaded"),
    "evidence_downloaded": _l("Evidence downloaded"), "application_reviewed": _l("Application decided"),
    "refused": _l("Access refused"), "monitored": _l("Alerts checked"), "order": _l("Order financing"), "equipment": _l("Equipment financing"),
    "submitted": _l("Submitted"), "approved": _l("Approved"), "declined": _l("Declined"),
    "disbursed": _l("Disbursed"), "repaid": _l("Repaid"),
    # background jobs (quotes, batch matches)
    "queued": _l("Waiting to start"), "running": _l("In progress"), "done": _l("Done"), "failed": _l("Failed"),
}


def label(code: str) -> str:
    return str(LABELS.get(code, code))


def price(window) -> str:
    if window.pricing_mode == "percent_of_value":
        return gettext("%(pct)s%% of job value", pct=f"{window.price / 100:.2f}")
    return f"{money(window.price, window.currency)} {label(window.pricing_mode)}"
