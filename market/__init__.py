"""The marketplace web application (portal + REST API)."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """The app. `config`: Flask config keys; those that are settings (market/settings.py) are
    checked like the environment's and win over it."""
    from market import auth, bus, db, i18n, jobs, logs, metrics, problems, settings
    from market.accounts import api as accounts_api
    from market.accounts import identity as accounts_identity
    from market.accounts import views as accounts_views
    from market.audit import handlers as audit_handlers
    from market.audit import views as audit_views
    from market.bidding import api as bidding_api
    from market.bidding import handlers as bidding_handlers
    from market.bidding import scores as bid_scores
    from market.bidding import views as bidding_views
    from market.catalog import api as catalog_api
    from market.catalog import templating as catalog_templating
    from market.catalog import views as catalog_views
    from market.credit import api as credit_api
    from market.credit import handlers as credit_handlers
    from market.credit import ratings_api
    from market.credit import ratings_views  # also adds credit.rate_order, credit.reply_to_rating
    from market.credit import public_profile  # noqa: F401  (adds catalog.public_factory)
    from market.credit import supplier as credit_supplier
    from market.credit import views as credit_views
    from market.insurance import api as insurance_api
    from market.ops import api as ops_api
    from market.insurance import credit_facts as insurance_credit
    from market.insurance import views as insurance_views
    from market.regions import views as regions_views
    from market.leasing import api as leasing_api
    from market.leasing import credit_facts as leasing_credit
    from market.leasing import handlers as leasing_handlers
    from market.leasing import views as leasing_views
    from market.matching import api as matching_api
    from market.matching import handlers as matching_handlers
    from market.matching import schedule_pages  # noqa: F401  (adds catalog.schedule, catalog_api.schedule)
    from market.matching import tasks as matching_tasks
    from market.matching import terms as quote_terms
    from market.matching import views as matching_views
    from market.notifications import api as notifications_api
    from market.notifications import handlers as notifications_handlers
    from market.notifications import tasks as notifications_tasks
    from market.notifications import views as notifications_views
    from market.notifications import webhook_api, webhook_views
    from market.notifications import subcontracting as notifications_subcontracting
    from market.ops import figures
    from market.orders import api as orders_api
    from market.orders import history_notes
    from market.orders import page as order_page
    from market.orders import views as orders_views
    from market.payments import api as payments_api
    from market.payments import jinja as payments_jinja
    from market.payments import handlers as payments_handlers
    from market.payments import services as payments_services
    from market.payments import views as payments_views
    from market.production import api as production_api
    from market.production import handlers as production_handlers
    from market.production import material_api, material_views
    from market.production import templating as production_templating
    from market.production import views as production_views
    from market.trace import api as trace_api
    from market.trace import epcis_api
    from market.journal import ledger
    from market.mail import tasks as mail_tasks
    from market.mail import views as mail_views
    from market.trace import views as trace_views
    from market.trace import tlog as trace_tlog
    from market.telemetry import api as telemetry_api
    from market.telemetry import handlers as telemetry_handlers
    from market.telemetry import tasks as telemetry_tasks
    from market.telemetry import views as telemetry_views
    from market.subcontracting import api as subcontracting_api
    from market.subcontracting import handlers as subcontracting_handlers
    from market.subcontracting import views as subcontracting_views
    from market.web import api_docs, confirm, csrf, forms as web_forms, input_guard, openapi, security
    from market.portal import views as portal_views

    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder="static")
    # read and checked once, here: a bad value stops start-up with the variable's name
    values = settings.load(config)
    app.config.update(settings.FIXED)
    app.config.update(settings.flask_config(values))
    app.config.update({k: v for k, v in (config or {}).items() if k not in settings.Settings.model_fields})
    app.extensions["settings"] = values
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_UPLOAD_BYTES"] + 1024 * 1024

    logs.init_app(app)
    metrics.init_app(app)
    db.init_app(app)
    auth.init_app(app)
    accounts_identity.init_app(app)
    csrf.init_app(app)
    security.init_app(app)
    input_guard.init_app(app)
    i18n.init_app(app)
    confirm.init_app(app)
    web_forms.init_app(app)
    catalog_templating.init_app(app)
    production_templating.init_app(app)
    history_notes.init_app(app)
    problems.init_app(app)
    ledger.init_app(app)
    # the domains that listen to other domains' events (market/bus.py, docs/architecture.md)
    handlers = (audit_handlers, telemetry_handlers, matching_handlers, bidding_handlers, production_handlers,
                payments_handlers, subcontracting_handlers, credit_handlers, leasing_handlers, notifications_handlers,
                notifications_subcontracting)
    bus.init_app(app, handlers)
    # the domains' background tasks by name (market/jobs.py owns the broker and the worker thread)
    jobs.init_app(app, (matching_tasks, telemetry_tasks, mail_tasks, notifications_tasks))
    # what a lower domain shows of higher ones' knowledge, read through what they provide here
    order_page.init_app(app, (matching_views.order_panel, production_views.order_panel, material_views.order_panel,
                              subcontracting_views.order_panel, ratings_views.order_panel))
    quote_terms.init_app(app, payments_services.quote_terms)
    bid_scores.init_app(app, credit_supplier.supplier_card)
    figures.init_app(app)
    payments_jinja.init_app(app)
    notifications_views.init_app(app)
    leasing_credit.init_app(app)
    insurance_credit.init_app(app)

    api = problems.ProblemApi(app, spec_kwargs={"extra_plugins": [openapi.ContractPlugin(app)]})
    for module in (accounts_api, catalog_api, orders_api, matching_api, bidding_api, production_api, material_api,
                   trace_api, epcis_api, telemetry_api, credit_api, ratings_api, payments_api, subcontracting_api,
                   notifications_api, webhook_api, leasing_api, insurance_api, ops_api):
        csrf.exempt(module.blp)  # bearer tokens, no cookies: CSRF does not apply
        api.register_blueprint(module.blp)
    for module in (api_docs, portal_views, accounts_views, catalog_views, orders_views, matching_views, bidding_views,
                   production_views, material_views, trace_views, telemetry_views, credit_views, payments_views,
                   audit_views, mail_views, notifications_views, webhook_views, subcontracting_views, leasing_views,
                   insurance_views, trace_tlog, regions_views):
        app.register_blueprint(module.bp)
    trace_tlog.init_app(app)  # tiles: answered before Flask (see TileServer)
    csrf.exempt(payments_api.hooks)  # Stripe signs its webhooks; there is no session
    app.register_blueprint(payments_api.hooks)
    return app
