"""Celery entry point: `celery -A market.worker worker` and `celery -A market.worker beat`
(both need CELERY_BROKER_URL).

Like a WSGI module, importing it builds the app: it is the process's entry, not a library.
(Celery looks for an attribute named `app` or `celery`: the Flask app is `flask_app`.)"""
from market import create_app, settings
from market.jobs import celery_for
from market.ops import beat

try:
    flask_app = create_app()
except settings.SettingsError as exc:
    raise SystemExit(str(exc)) from None  # the variable's name, not a traceback
celery = celery_for(flask_app)
beat.configure(celery, flask_app)
