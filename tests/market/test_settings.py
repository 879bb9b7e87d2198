"""Settings (market/settings.py): typed, read once at start-up; a bad value stops the app, the
CLI, gunicorn and Celery with the variable's name; booleans take the usual spellings; secrets
stay out of reprs; `.env` and `market --env-file` are read; the README's table is generated."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from market import create_app, settings

ROOT = Path(__file__).resolve().parents[2]
MARKET = str(Path(sys.executable).with_name("market"))


def _config(tmp_path, **extra):
    return {"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "VAR_DIR": str(tmp_path),
            "SECRET_KEY": "s", **extra}


def _env(tmp_path, **extra):
    """A subprocess environment without the caller's market settings, in a var dir of its own."""
    env = {k: v for k, v in os.environ.items() if k not in settings.Settings.model_fields and k != "MARKET_VAR_DIR"}
    return {**env, "MARKET_VAR_DIR": str(tmp_path / "var"), "LOG_LEVEL": "ERROR", **extra}


@pytest.fixture(autouse=True)
def _no_dotenv_here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a developer's ./.env must not leak into these tests


@pytest.mark.parametrize("name, value, complaint", [
    ("MAX_UPLOAD_BYTES", "20MB", "valid integer"),  # int
    ("TRUSTED_PROXIES", "-1", "greater than or equal to 0"),  # int with a bound
    ("QUOTE_TTL_HOURS", "a day", "valid number"),  # float
    ("STRIPE_TIMEOUT_S", "0", "greater than 0"),  # float with a bound
    ("SESSION_COOKIE_SECURE", "sure", "valid boolean"),  # bool
    ("PAYMENT_BEFORE_PRODUCTION", "2", "valid boolean"),
    ("LOG_FORMAT", "xml", "'json' or 'text'"),  # one of a set
    ("CREDIT_GRADE_CAP", "Z", "'BBB'"),
    ("PORTAL_TIMEZONE", "Mars/Olympus", "unknown time zone"),  # named differently from its config key
    ("API_RATE_LIMIT", "plenty", "not a rate limit"),
    ("WEB_CONCURRENCY", "many", "valid integer"),  # gunicorn's
])
def test_a_wrong_value_stops_start_up_naming_the_variable(monkeypatch, tmp_path, name, value, complaint):
    monkeypatch.setenv(name, value)
    with pytest.raises(settings.SettingsError) as caught:
        create_app(_config(tmp_path))
    assert f"{name}: " in str(caught.value) and complaint in str(caught.value)


def test_a_wrong_value_given_in_code_is_refused_the_same_way(tmp_path):
    with pytest.raises(settings.SettingsError, match="TELEMETRY_RETENTION_DAYS: .*valid integer"):
        create_app(_config(tmp_path, TELEMETRY_RETENTION_DAYS="half a year"))


def test_every_problem_is_reported_at_once(monkeypatch, tmp_path):
    monkeypatch.setenv("MAX_UPLOAD_BYTES", "x")
    monkeypatch.setenv("WEB_TIMEOUT", "y")
    with pytest.raises(settings.SettingsError) as caught:
        settings.load()
    assert "MAX_UPLOAD_BYTES" in str(caught.value) and "WEB_TIMEOUT" in str(caught.value)


@pytest.mark.parametrize("spelling, expected", [
    ("true", True), ("True", True), ("TRUE", True), ("1", True), ("yes", True), ("on", True), ("ON", True),
    ("false", False), ("False", False), ("0", False), ("no", False), ("off", False),
])
def test_booleans_take_the_usual_spellings(monkeypatch, tmp_path, spelling, expected):
    monkeypatch.setenv("SESSION_COOKIE_SECURE", spelling)
    app = create_app(_config(tmp_path))
    assert app.config["SESSION_COOKIE_SECURE"] is expected
    assert app.config["REMEMBER_COOKIE_SECURE"] is expected


def test_session_cookie_secure_true_makes_cookies_secure_and_sends_hsts(monkeypatch, tmp_path):
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "true")  # was silently false: only "1" counted
    app = create_app(_config(tmp_path))
    response = app.test_client().get("/healthz")
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_an_empty_value_counts_as_unset(monkeypatch, tmp_path):
    monkeypatch.setenv("MAX_UPLOAD_BYTES", "")
    monkeypatch.setenv("IN_PROCESS_SCHEDULER", "")
    app = create_app(_config(tmp_path))
    assert app.config["MAX_UPLOAD_BYTES"] == 20 * 1024 * 1024 and app.config["IN_PROCESS_SCHEDULER"] is True


def test_values_in_code_win_over_the_environment_which_wins_over_dotenv(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text("CREDIT_BASE_RATE_BP=425\nCREDIT_MIN_DELIVERIES=7\nQUOTE_TTL_HOURS=12\n"
                                   "UNRELATED_VARIABLE=ignored\n")
    monkeypatch.setenv("CREDIT_MIN_DELIVERIES", "5")
    monkeypatch.setenv("QUOTE_TTL_HOURS", "6")
    app = create_app(_config(tmp_path, QUOTE_TTL_HOURS=2))
    assert app.config["CREDIT_BASE_RATE_BP"] == 425  # from .env
    assert app.config["CREDIT_MIN_DELIVERIES"] == 5  # the environment over .env
    assert app.config["QUOTE_TTL_HOURS"] == 2.0  # code over both


def test_a_wrong_value_in_dotenv_is_named_too(tmp_path):
    (tmp_path / ".env").write_text("TELEMETRY_MAX_SKEW_S=5min\n")
    with pytest.raises(settings.SettingsError, match="TELEMETRY_MAX_SKEW_S"):
        create_app(_config(tmp_path))


def test_computed_defaults_follow_the_var_dir(tmp_path):
    app = create_app({"TESTING": True, "VAR_DIR": str(tmp_path / "v")})
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'v' / 'market.db'}"
    assert app.config["UPLOAD_DIR"] == str(tmp_path / "v" / "uploads")
    assert app.config["SECRET_KEY"] == (tmp_path / "v" / "secret_key").read_text().strip()
    assert create_app({"TESTING": True, "VAR_DIR": str(tmp_path / "v")}).config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_secrets_and_url_passwords_stay_out_of_the_repr_and_errors(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "hunter2-session-key")
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_live_hunter2")
    monkeypatch.setenv("METRICS_TOKEN", "hunter2-metrics")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://market:hunter2pw@db/market")
    loaded = settings.load()
    assert "hunter2" not in repr(loaded) and "hunter2" not in str(loaded)
    assert loaded.STRIPE_SECRET_KEY.get_secret_value() == "sk_live_hunter2"
    assert {"SECRET_KEY", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "METRICS_TOKEN", "LEDGER_SIGNING_KEY",
            "ANCHOR_PRIVATE_KEY"} <= set(settings.secret_names())
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://:hunter2pw@redis/0")
    monkeypatch.setenv("WEB_THREADS", "x")
    with pytest.raises(settings.SettingsError) as caught:
        settings.load()
    assert "hunter2" not in str(caught.value)


def test_the_app_holds_secrets_as_text_for_flask_and_the_object_keeps_them_marked(monkeypatch, tmp_path):
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_hunter2")
    app = create_app(_config(tmp_path))
    assert app.config["STRIPE_WEBHOOK_SECRET"] == "whsec_hunter2"
    assert "hunter2" not in repr(app.extensions["settings"])


def test_the_cli_names_the_variable_without_a_traceback(tmp_path):
    done = subprocess.run([MARKET, "routes"], env=_env(tmp_path, MAX_UPLOAD_BYTES="lots"), cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "MAX_UPLOAD_BYTES" in done.stderr and "Traceback" not in done.stderr


def test_market_env_file_reads_the_given_file(tmp_path):
    (tmp_path / "prod.env").write_text(f"MARKET_VAR_DIR={tmp_path / 'from-env-file'}\n")
    done = subprocess.run([MARKET, "--env-file", str(tmp_path / "prod.env"), "routes"], env=_env(tmp_path),
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    # the environment still wins over the file, which wins over ./.env (Flask's and our order)
    assert not (tmp_path / "from-env-file").exists()  # _env() sets MARKET_VAR_DIR itself
    env = {k: v for k, v in _env(tmp_path).items() if k != "MARKET_VAR_DIR"}
    (tmp_path / ".env").write_text(f"MARKET_VAR_DIR={tmp_path / 'from-dotenv'}\n")
    done = subprocess.run([MARKET, "--env-file", str(tmp_path / "prod.env"), "routes"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "from-env-file" / "secret_key").exists() and not (tmp_path / "from-dotenv").exists()
    (tmp_path / "bad.env").write_text("PASSWORD_RESET_TTL_MINUTES=an hour\n")
    done = subprocess.run([MARKET, "--env-file", str(tmp_path / "bad.env"), "routes"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "PASSWORD_RESET_TTL_MINUTES" in done.stderr


def test_gunicorn_names_the_variable_without_a_traceback(tmp_path):
    done = subprocess.run([sys.executable, "-m", "gunicorn", "-c", "python:market.gunicorn_conf", "market:create_app()"],
                          env=_env(tmp_path, WEB_THREADS="two"), cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode != 0
    assert "WEB_THREADS" in done.stderr and "Traceback" not in done.stderr


def test_the_celery_worker_names_the_variable_without_a_traceback(tmp_path):
    done = subprocess.run([sys.executable, "-c", "import market.worker"], env=_env(tmp_path, JOB_LOST_AFTER_S="1h"),
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "JOB_LOST_AFTER_S" in done.stderr and "Traceback" not in done.stderr


def test_the_readme_configuration_table_is_generated_from_the_settings():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == settings.with_table(readme), (
        "README's configuration table differs from market/settings.py; regenerate it with "
        "`.venv/bin/market settings-table --readme README.md`")


def test_the_table_names_every_variable_and_hides_secret_defaults():
    table = settings.markdown_table()
    for name in settings.Settings.model_fields:
        assert f"| `{settings.env_name(name)}` |" in table
    assert "| `PORTAL_TIMEZONE` | text | `Asia/Shanghai` |" in table
    assert "| `SESSION_COOKIE_SECURE` | boolean | `false` |" in table
    assert "| `STRIPE_WEBHOOK_SECRET` | secret | unset |" in table
