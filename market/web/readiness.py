"""What /readyz checks: each dependency answers "ok" or says what is wrong."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import text

from market.db import get_db
from market.logs import redact
from market.metrics import read_figures


def _database() -> str:
    with get_db().engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return "ok"


def _broker() -> str:
    url = current_app.config.get("CELERY_BROKER_URL")
    if not url:
        return "ok"  # in-process worker
    import redis

    redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    return "ok"


def _chain() -> str:
    url = current_app.config.get("ANCHOR_RPC_URL")
    if not url:
        return "ok"  # in-process EVM
    from web3 import HTTPProvider, Web3

    return "ok" if Web3(HTTPProvider(url, request_kwargs={"timeout": 3})).is_connected() else "unreachable"


def check_all() -> dict[str, str]:
    out = {}
    for name, probe in (("database", _database), ("broker", _broker), ("chain", _chain)):
        try:
            out[name] = probe()
        except Exception as exc:  # a readiness probe reports, it never raises
            # public page: an RPC URL's API key or a password in an error must not show
            out[name] = redact(f"{type(exc).__name__}: {exc}", current_app.config)[:200]
    return out


def anchoring() -> dict:
    """The ledger's anchoring backlog (informational: the ledger works while the chain is
    down; the periodic checkpoint anchors what is pending once it answers)."""
    try:
        f = read_figures()
    except Exception as exc:
        return {"error": f"{type(exc).__name__}"}
    return {"pending_checkpoints": f.pending_checkpoints, "unanchored_entries": f.unanchored_entries,
            "lag_seconds": round(f.anchor_lag_seconds, 1)}
