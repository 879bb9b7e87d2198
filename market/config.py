"""Configuration from environment variables, with safe defaults for one machine."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def _var_dir() -> Path:
    path = Path(os.environ.get("MARKET_VAR_DIR", "var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _secret_key(var: Path) -> str:
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    # A dev key is generated once and kept under var/, so sessions survive restarts.
    key_file = var / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def from_env() -> dict:
    var = _var_dir()
    return {
        "VAR_DIR": str(var),
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{var / 'market.db'}"),
        "SECRET_KEY": _secret_key(var),
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR", str(var / "uploads")),
        "MAX_UPLOAD_BYTES": int(os.environ.get("MAX_UPLOAD_BYTES", 20 * 1024 * 1024)),
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "json"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        "PASSWORD_RESET_TTL_MINUTES": int(os.environ.get("PASSWORD_RESET_TTL_MINUTES", 60)),
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:8000"),
        "QUOTE_TTL_HOURS": float(os.environ.get("QUOTE_TTL_HOURS", 24)),
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", ""),
        "QUOTE_TIME_LIMIT_S": float(os.environ.get("QUOTE_TIME_LIMIT_S", 5)),
        "BATCH_TIME_LIMIT_S": float(os.environ.get("BATCH_TIME_LIMIT_S", 30)),
        "IDEMPOTENCY_LEASE_S": float(os.environ.get("IDEMPOTENCY_LEASE_S", 60)),
        "BROKER_TIMEOUT_S": float(os.environ.get("BROKER_TIMEOUT_S", 3)),
        "BROKER_RETRY_AFTER_S": float(os.environ.get("BROKER_RETRY_AFTER_S", 30)),
    }


STATIC = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "WTF_CSRF_TIME_LIMIT": None,
    "BABEL_DEFAULT_LOCALE": "en",
    "BABEL_DEFAULT_TIMEZONE": os.environ.get("PORTAL_TIMEZONE", "Asia/Shanghai"),
    "LANGUAGES": ["en", "zh_CN"],
    "API_TITLE": "Shared Manufacturing Marketplace API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "/docs",
    "OPENAPI_SWAGGER_UI_URL": "/api/docs/assets/",  # market.web.api_docs: from the swagger-ui-bundle package
    "API_SPEC_OPTIONS": {
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}
        },
        "security": [{"bearerAuth": []}],
    },
}
