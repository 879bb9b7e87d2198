"""Shared helper of the marketplace benchmarks that run the app: a fresh, migrated PostgreSQL
database. Imports happen inside the function: load_mixed must let locust patch sockets first."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fresh_market_database(database_url: str) -> None:
    """Create the database if it does not exist, wipe its schema and run every migration."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from market import migrate

    url = make_url(database_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}).scalar():
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    migrate.recreate_postgres_schema(database_url)
    migrate.upgrade(database_url)


def serve(database_url: str, port: int, workers: int, log=subprocess.DEVNULL) -> subprocess.Popen:
    """gunicorn with the app on 127.0.0.1:port: no broker, no scheduler, no API rate limit."""
    var = tempfile.mkdtemp()
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING", "WEB_CONCURRENCY": str(workers),
           "BIND": f"127.0.0.1:{port}", "MARKET_VAR_DIR": var, "IN_PROCESS_SCHEDULER": "0",
           "API_RATE_LIMIT": "1000000 per minute", "PROMETHEUS_MULTIPROC_DIR": f"{var}/prometheus"}
    env.pop("CELERY_BROKER_URL", None)
    return subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "python:market.gunicorn_conf", "market:create_app()"],
                            cwd=ROOT, env=env, stdout=log, stderr=log)
