"""Security headers on every response, and rate limits (counted in the application's database
by default, so that gunicorn workers and replicas share them; RATELIMIT_STORAGE_URI=redis://...
to count in Redis; tests, one process each, count in memory).

Limits: login and password-reset POSTs per client address (LOGIN_RATE_LIMIT); every
/api/v1 call per bearer token, or per address without one (API_RATE_LIMIT). Should the
shared storage fail, counting goes on in memory rather than failing requests."""
from __future__ import annotations

import hashlib

from flask import Flask, current_app, request
from flask_limiter import Limit, Limiter
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix


def api_client_key() -> str:
    """Whose API budget a call spends: its token (hashed: the key is stored), else its address."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer ") and header[7:].strip():
        return "token:" + hashlib.sha256(header[7:].strip().encode()).hexdigest()[:32]
    return "addr:" + get_remote_address()


API_LIMIT = Limit(lambda: current_app.config["API_RATE_LIMIT"], key_function=api_client_key, scope="api",
                  shared=True, exempt_when=lambda: not request.path.startswith("/api/v1/"))
limiter = Limiter(key_func=get_remote_address, default_limits=[API_LIMIT])

# Swagger UI at /api/docs (assets served by market.web.api_docs) configures itself in an inline
# script; every other page runs only its own script files.
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'self'")
CSP_DOCS = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")


def init_app(app: Flask) -> None:
    from market.web import ratelimits  # noqa: F401  registers the database:// storage

    # LOGIN_RATE_LIMIT, API_RATE_LIMIT, RATELIMIT_KEY_PREFIX, TRUSTED_PROXIES: market/settings.py
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = "memory://" if app.testing else "database://"
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)  # storage down: never a 500 because of counting
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config["REMEMBER_COOKIE_SECURE"] = app.config.get("SESSION_COOKIE_SECURE", False)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    limiter.init_app(app)
    # X-Forwarded-For/-Proto/-Host count only from the TRUSTED_PROXIES nearest hops: without
    # them a client could pick its own address (and so its own rate-limit budget).
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    @app.after_request
    def _headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP_DOCS if request.path.startswith("/api/docs") else CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
