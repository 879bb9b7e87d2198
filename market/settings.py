"""The marketplace's configuration: one typed object read from environment variables and a
`.env` file in the working directory, built once by `create_app`.

Every variable has a safe default for one machine. A value of the wrong type stops start-up
with the variable's name (SettingsError), never a traceback from deep inside a domain.
Precedence, highest first: values given in code (`create_app({...})`), the environment
(`market --env-file PATH` adds PATH's variables to it), `.env`, the defaults below. An empty
value counts as unset. Booleans take true/false, 1/0, yes/no, on/off in any case.

Secrets are SecretStr: their values never appear in a repr, a log line or an error message.
The README's configuration table is generated from this class (`market settings-table`).
"""
from __future__ import annotations

import os
import secrets
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Flask and extension settings that are fixed, not read from the environment.
FIXED = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "WTF_CSRF_TIME_LIMIT": None,
    "BABEL_DEFAULT_LOCALE": "en",
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


class SettingsError(ValueError):
    """The configuration cannot be used; the message names each offending variable."""


def _field(default: Any = None, description: str = "", *, shown: str | None = None, env: str | None = None,
           **kwargs: Any) -> Any:
    """A setting. `shown`: the default as the README states it, when the value is computed.
    `env`: the variable's name when it differs from the config key (code may use either)."""
    extra = {"shown": shown} if shown is not None else None
    if env:
        kwargs["validation_alias"] = AliasChoices(env)
    return Field(default, description=description, json_schema_extra=extra, **kwargs)


Seconds = float  # documentation only: every *_S value is in seconds


class Settings(BaseSettings):
    # case-sensitive: the variables are read exactly as named (as the code read them before)
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", case_sensitive=True,
                                      env_ignore_empty=True, extra="ignore", validate_by_name=True,
                                      validate_by_alias=True, validate_default=True)

    # -- the application --------------------------------------------------------------
    VAR_DIR: Path = _field(Path("var"), "where the SQLite file, uploads, the dev secret key and the ledger key live",
                           env="MARKET_VAR_DIR")
    DATABASE_URL: str | None = _field(None, "SQLAlchemy URL; PostgreSQL: `postgresql+psycopg://user@host/db`",
                                      shown="`sqlite:///var/market.db`", repr=False)
    SECRET_KEY: SecretStr | None = _field(None, "signs sessions and CSRF tokens; set it in production",
                                          shown="generated once into `var/secret_key`")
    UPLOAD_DIR: str | None = _field(None, "stored drawings and message attachments", shown="`var/uploads`")
    MAX_UPLOAD_BYTES: int = _field(20 * 1024 * 1024, "largest accepted upload", gt=0)
    BABEL_DEFAULT_TIMEZONE: str = _field("Asia/Shanghai", "zone in which the portal shows times that belong to "
                                         "no factory (an IANA name)", env="PORTAL_TIMEZONE")
    PLATFORM_CURRENCY: str = _field("CNY", "ISO 4217 code of the platform's own amounts that belong to no order "
                                    "(the commission rules' minimum is typed and shown in it)")
    PASSWORD_RESET_TTL_MINUTES: int = _field(60, "lifetime of a password reset link", gt=0)
    # RFC 9106's second recommended Argon2id option; each hash records its own parameters, so
    # changing them never locks anyone out (the test suite lowers them: one hash per sign-up)
    PASSWORD_HASH_TIME_COST: int = _field(3, "Argon2id passes over memory per password hash", ge=1)
    PASSWORD_HASH_PARALLELISM: int = _field(4, "Argon2id lanes (threads) per password hash", ge=1)
    PASSWORD_HASH_MEMORY_KIB: int = _field(65536, "Argon2id memory per password hash, in KiB (at least 8 × "
                                           "`PASSWORD_HASH_PARALLELISM`)", ge=8)
    SESSION_COOKIE_SECURE: bool = _field(False, "`true` behind HTTPS: cookies only over HTTPS, and HSTS")
    LOG_FORMAT: Literal["json", "text"] = _field("json", "JSON lines with a request id, or `text`")
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = _field("INFO", "level of the `market` logs")
    PUBLIC_BASE_URL: str = _field("", "the public address, e.g. `https://market.example.com`: mailed links (password "
                                  "reset, new members), the payment return address and QR labels point at it, never at "
                                  "the request's Host; gunicorn refuses a non-loopback `BIND` without it",
                                  shown="unset")
    BASE_URL: str = _field("http://127.0.0.1:8000", "links' address while `PUBLIC_BASE_URL` is unset (local use; "
                           "labels then use the request host)")
    TRUSTED_PROXIES: int = _field(0, "number of reverse proxies in front of the app: `X-Forwarded-For/-Proto/-Host` "
                                  "count only from that many hops (client address for rate limits and the security "
                                  "log)", ge=0)

    # -- the web server (gunicorn, `market up`) -------------------------------------------
    BIND: str = _field("127.0.0.1:8000", "address gunicorn listens on")
    WEB_CONCURRENCY: int = Field(default_factory=lambda: (os.cpu_count() or 1) * 2, gt=0,
                                 description="gunicorn worker processes", json_schema_extra={"shown": "2 × cores"})
    WEB_THREADS: int = _field(2, "threads per gunicorn worker", gt=0)
    WEB_TIMEOUT: int = _field(30, "seconds before gunicorn restarts a silent worker", gt=0)
    FORWARDED_ALLOW_IPS: str = _field("127.0.0.1", "addresses gunicorn trusts for `X-Forwarded-*` headers")

    # -- quotes, solves and the job queue -----------------------------------------------------
    QUOTE_TTL_HOURS: float = _field(24, "how long a quote holds", gt=0)
    QUOTE_TIME_LIMIT_S: Seconds = _field(5, "the solver's time budget per quote (and per re-plan)", gt=0)
    BATCH_TIME_LIMIT_S: Seconds = _field(30, "the time budget of the operator's batch match", gt=0)
    QUOTE_QUALITY_WEIGHT: int = _field(10, "what one permille of supplier quality is worth to the solver, in minor "
                                       "units per operation (10: a factory scoring 0.1 higher wins at up to 1,000 "
                                       "minor units more per operation); 0 ignores quality", ge=0, le=10**6)
    IDEMPOTENCY_LEASE_S: Seconds = _field(60, "a request with an `Idempotency-Key` still running after this counts "
                                          "as dead; a retry may then take over", gt=0)
    CELERY_BROKER_URL: str | None = _field(None, "e.g. `redis://127.0.0.1:6379/0`: solves go to Celery workers "
                                           "(`celery -A market.worker worker`); if the broker is unreachable or does "
                                           "not answer within `BROKER_TIMEOUT_S` a job runs in-process instead of "
                                           "being lost", shown="unset: in-process worker thread", repr=False)
    BROKER_TIMEOUT_S: Seconds = _field(3, "longest wait for the broker before a job runs in-process", gt=0)
    BROKER_RETRY_AFTER_S: Seconds = _field(30, "after a broker failure, jobs run in-process this long before the "
                                           "broker is tried again", ge=0)

    # -- the ledger ---------------------------------------------------------------------------
    LEDGER_ORIGIN: str = _field("smm.local/ledger", "checkpoint origin line and signing key name", min_length=1)
    LEDGER_SIGNING_KEY: SecretStr | None = _field(None, "the platform's Ed25519 key (PEM or base64 seed)",
                                                  shown="generated once into `var/ledger_ed25519.key`")
    ANCHOR_RPC_URL: str | None = _field(None, "any Ethereum JSON-RPC endpoint for checkpoint anchors",
                                        shown="unset: in-process EVM (web3 EthereumTesterProvider), dev only: "
                                              "its anchors live and die with the process", repr=False)
    ANCHOR_PRIVATE_KEY: SecretStr | None = _field(None, "the key that owns the anchor contract and pays for anchor "
                                                        "transactions")
    ANCHOR_CONTRACT_ADDRESS: str | None = _field(
        None, "address of the Anchor contract (`ledger/contracts/Anchor.sol`) on `ANCHOR_RPC_URL`, deployed by "
        "`python -m ledger deploy-anchor` from the `ANCHOR_PRIVATE_KEY` account",
        shown="unset: deployed at start on the in-process EVM; with `ANCHOR_RPC_URL` anchoring fails until set",
        pattern=r"^0x[0-9a-fA-F]{40}$")
    ANCHOR_CONFIRMATIONS: int = _field(6, "blocks (the anchor's own included) before an anchor on `ANCHOR_RPC_URL` "
                                          "counts as final; until then a reorg re-anchors (the in-process EVM: 1)",
                                       ge=0)
    LEDGER_WITNESS_KEYS: Annotated[list[str], NoDecode] = _field(
        [], "comma-separated witness keys (C2SP vkeys `name+keyid+base64(0x04‖pub)`, from `python -m ledger "
        "witness --print-key`): cosignatures they post to `/checkpoint/cosignatures` are kept and served on "
        "`/checkpoint`", shown="none")
    LEDGER_WITNESS_QUORUM: int = _field(0, "how many of `LEDGER_WITNESS_KEYS` must have cosigned a checkpoint for "
                                        "the trace page's verifier to accept it (proof bundles and the CLI take "
                                        "`--witness-quorum`)", ge=0)

    # -- periodic tasks (beat and the in-process scheduler; 0: off) ----------------------------
    BATCH_MATCH_EVERY_S: Seconds = _field(3600, "interval of the batch match of open orders", ge=0)
    CHECKPOINT_EVERY_S: Seconds = _field(600, "interval of signed (and anchored) ledger checkpoints", ge=0)
    QUOTE_EXPIRY_EVERY_S: Seconds = _field(300, "interval of expiring old quotes", ge=0)
    BID_EXPIRY_EVERY_S: Seconds = _field(300, "interval of expiring factory bids whose validity ended (the bidder "
                                         "is told)", ge=0)
    JOB_SWEEP_EVERY_S: Seconds = _field(300, "interval of requeueing stuck and failing lost jobs", ge=0)
    EVENT_SWEEP_EVERY_S: Seconds = _field(60, "interval of delivering domain events whose after-commit handler "
                                          "has not run yet (market/bus.py)", ge=0)
    NOTIFY_SEND_EVERY_S: Seconds = _field(60, "interval of sending notification e-mails whose quiet hours are over "
                                          "(market/notifications)", ge=0)
    TELEMETRY_ROLLUP_EVERY_S: Seconds = _field(300, "interval of the telemetry rollup", ge=0)
    TELEMETRY_PURGE_EVERY_S: Seconds = _field(86400, "interval of purging raw readings past retention", ge=0)
    PAYMENTS_RETRY_EVERY_S: Seconds = _field(300, "interval of retrying unfinished provider calls", ge=0)
    PAYOUT_RELEASE_EVERY_S: Seconds = _field(3600, "interval of auto-confirming deliveries (which releases payouts)",
                                             ge=0)
    REMINDERS_EVERY_S: Seconds = _field(900, "interval of the reminders scan (payments overdue, deliveries about to "
                                        "be auto-confirmed, consents expiring, instalments due or late, lender "
                                        "alerts; each told once)", ge=0)
    LEASE_RENT_EVERY_S: Seconds = _field(3600, "interval of invoicing lease rent for periods whose days are all "
                                         "closed, and of marking unpaid rent overdue", ge=0)
    INSURANCE_PREMIUMS_EVERY_S: Seconds = _field(3600, "interval of invoicing insurance premiums for periods that "
                                                 "have started, and of ending policies past their term", ge=0)
    DIGEST_EVERY_S: Seconds = _field(86400, "period of the notification digest: a user who chose it gets at most "
                                     "one mail per period listing what they were told", gt=0)
    MAIL_SWEEP_EVERY_S: Seconds = _field(60, "interval of sending mail that is due (retries, what a crash left)",
                                         ge=0)
    WEBHOOK_SWEEP_EVERY_S: Seconds = _field(15, "interval of sending webhook and chat-robot deliveries that are due",
                                            ge=0)
    JOB_REQUEUE_AFTER_S: Seconds = _field(600, "a queued job untouched this long is queued again", ge=0)
    JOB_LOST_AFTER_S: Seconds = _field(3600, "a running job silent this long is marked failed", gt=0)
    IN_PROCESS_SCHEDULER: bool = _field(True, "`false`: the web workers run no periodic tasks (Celery beat does)")

    # -- metrics and rate limits ---------------------------------------------------------------
    METRICS_TOKEN: SecretStr | None = _field(None, "bearer token a remote Prometheus sends to scrape `/metrics`",
                                             shown="unset: `/metrics` answers loopback only")
    RATELIMIT_STORAGE_URI: str | None = _field(None, "where rate limits are counted: `database://` (gunicorn workers "
                                               "and replicas share them), `redis://…`, `memory://`",
                                               shown="`database://` (`memory://` in tests)", repr=False)
    API_RATE_LIMIT: str = _field("1200 per minute", "per API token (per address without one)")
    LOGIN_RATE_LIMIT: str = _field("20 per minute", "per address, for login and password reset")
    RATELIMIT_KEY_PREFIX: str = _field("smm", "prefix of the rate-limit counters' keys")

    # -- telemetry -----------------------------------------------------------------------------
    MQTT_URL: str = _field("mqtt://127.0.0.1:1883", "broker of the telemetry subscriber (`mqtts://user:pass@host` "
                           "for TLS)", repr=False)
    TELEMETRY_MQTT_TOPIC_PREFIX: str = _field("", "prefix of `factories/{factory}/machines/{machine}/telemetry`, e.g. "
                                              "`plant1/`", shown="empty")
    TELEMETRY_MQTT_DEVICE_AUTH: Literal["auto", "broker", "token", "both"] = _field(
        "auto", "who vouches for an MQTT device: `broker` (the broker authenticated it; it publishes on its own "
        "`…/devices/{device}/telemetry` topic without a token), `token` (the device token in every payload, for "
        "a broker without per-device accounts), `both` (while devices move over); `auto`: `broker` when "
        "`MQTT_URL` carries a username, else `token`")
    TELEMETRY_BROKER_PASSWORD_FILE: str | None = _field(
        None, "Mosquitto `password_file` that `market telemetry broker-sync` (and every enroll or revoke) "
        "rewrites from the device table", shown="unset: no broker accounts are written")
    TELEMETRY_BROKER_ACL_FILE: str | None = _field(None, "Mosquitto `acl_file` written with the password file",
                                                   shown="unset: no broker accounts are written")
    TELEMETRY_BROKER_PID_FILE: str | None = _field(None, "Mosquitto's `pid_file`: the broker gets SIGHUP after the "
                                                   "files change, to reload them", shown="unset: no reload signal")
    TELEMETRY_RETENTION_DAYS: int = _field(180, "raw readings older than this are purged (and refused); daily "
                                           "aggregates are kept", gt=0)
    TELEMETRY_MAX_SKEW_S: int = _field(300, "readings further ahead of server time are refused (device clock)", ge=0)
    TELEMETRY_OFFLINE_AFTER_S: int = _field(1800, "a machine silent this long counts as offline", gt=0)
    TELEMETRY_DOWN_ALERT_MINUTES: int = _field(30, "down this long: its open windows become unavailable and its "
                                               "booked work is re-planned", gt=0)
    TELEMETRY_ROLLUP_AFTER_INGEST: Literal["auto", "off"] = _field(
        "auto", "`auto`: after an ingest, aggregates are recomputed off the request by a Celery task (with "
        "`CELERY_BROKER_URL`) or a background thread; `off`: by the periodic rollup only")
    TELEMETRY_ROLLUP_DELAY_S: Seconds = _field(5, "a rollup after ingest waits this long for more batches (one "
                                               "recompute for a burst)", ge=0)

    # -- credit --------------------------------------------------------------------------------
    CREDIT_BASE_RATE_BP: int = _field(310, "base of a credit report's indicative rate band, basis points (e.g. the "
                                      "1-year LPR); band = base + PD × 45 % LGD + 80 bp, 120 bp wide, capped at "
                                      "4 × base", ge=0)
    CREDIT_SCORECARD_VERSION: str = _field("", "scorecard artifact reports are scored with (`market credit train` "
                                           "writes new ones); its version is in every report",
                                           shown="empty: the one `market/credit/scorecards/CURRENT` names")
    CREDIT_MIN_HISTORY_DAYS: int = _field(30, "minimum of evidence for a grade (docs/credit.md): days of history",
                                          ge=0)
    CREDIT_MIN_OEE_DAYS: int = _field(20, "minimum of evidence for a grade: days with OEE", ge=0)
    CREDIT_MIN_DELIVERIES: int = _field(3, "minimum of evidence for a grade: deliveries", ge=0)
    CREDIT_GRADE_CAP: Literal["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C"] = _field(
        "BBB", "the best grade with only machine or only delivery evidence")
    FINANCING_ADVANCE_MAX_PERCENT: int = _field(80, "receivables financing: a lender advances at most this share "
                                                "of the factory's net payout on the order (docs/payments.md)",
                                                ge=1, le=100)
    CONSENT_EXPIRY_NOTICE_DAYS: int = _field(7, "factory and lender are told this many days before a consent ends",
                                             ge=0)
    INSTALMENT_NOTICE_DAYS: int = _field(3, "a factory is told this many days before an instalment falls due", ge=0)

    # -- payments ------------------------------------------------------------------------------
    STRIPE_SECRET_KEY: SecretStr = _field(SecretStr(""), "set: Stripe Connect (docs/payments.md)",
                                          shown="unset: offline payments (bank transfer, operator confirms)")
    STRIPE_PUBLISHABLE_KEY: str = _field("", "the buyer's payment form", shown="unset")
    STRIPE_WEBHOOK_SECRET: SecretStr = _field(SecretStr(""), "verifies `POST /webhooks/stripe`")
    STRIPE_API_BASE: str = _field("", "another API address (tests point the real client at a local fake)",
                                  shown="Stripe's own")
    STRIPE_JS_URL: str = _field("https://js.stripe.com/v3/", "Stripe.js for the payment form")
    STRIPE_CONNECT_COUNTRY: str = _field("", "country of new connected (Express) accounts", shown="unset")
    STRIPE_MAX_RETRIES: int = _field(3, "retries of a failed Stripe call, always with the same idempotency key", ge=0)
    STRIPE_TIMEOUT_S: Seconds = _field(20, "timeout of one Stripe call", gt=0)
    STRIPE_RETRY_BACKOFF_S: Seconds = _field(0.5, "first wait between Stripe retries", ge=0)
    STRIPE_WEBHOOK_TOLERANCE_S: int = _field(300, "webhook signatures older or further in the future than this are "
                                             "refused", gt=0)
    DELIVERY_AUTO_CONFIRM_DAYS: float = _field(14, "shipped orders without an answer are confirmed (and paid out) "
                                               "after this", gt=0)
    PAYMENT_BEFORE_PRODUCTION: bool = _field(False, "`true`: no lot starts before the buyer's payment is captured "
                                             "(payouts wait for it either way)")
    PAYMENT_DUE_DAYS: float = _field(7, "a buyer who has not paid this many days after accepting a quote is told "
                                     "the payment is overdue", gt=0)
    AUTO_CONFIRM_NOTICE_DAYS: float = _field(2, "the buyer is told this many days before a delivery is confirmed "
                                             "automatically", ge=0)
    PAYMENT_CLAIM_LEASE_S: int = _field(300, "a provider call left unfinished this long is retried (same key)", gt=0)
    PLATFORM_BANK_DETAILS: str = _field("Beneficiary: Shared Manufacturing Platform Ltd. | Bank: (set "
                                        "PLATFORM_BANK_DETAILS) | Account: (set PLATFORM_BANK_DETAILS)",
                                        "bank-transfer instructions for buyers", shown="placeholders")
    PLATFORM_LEGAL_NAME: str = _field("Shared Manufacturing Platform", "the name on invoices")

    # -- e-mail (market/mail) ------------------------------------------------------------
    SMTP_URL: str | None = _field(None, "mail server: `smtp://user:password@host:587` (STARTTLS when offered; "
                                  "`?starttls=1` requires it), `smtps://…:465` (TLS from the first byte); "
                                  "`?verify=0` skips the certificate check",
                                  shown="unset: the local dev inbox (`var/mail`, operator page Mail)", repr=False)
    SMTP_TIMEOUT_S: Seconds = _field(20, "timeout of each SMTP step", gt=0)
    MAIL_FROM: str | None = _field(None, "sender address of every mail",
                                   shown="`Shared Manufacturing Market <noreply@host of PUBLIC_BASE_URL>`")
    MAIL_DIR: str | None = _field(None, "the dev inbox (`.eml` files) when no SMTP_URL is set", shown="`var/mail`")
    MAIL_SEND_AFTER_COMMIT: bool = _field(True, "send right after the commit; `false`: only the periodic sweep sends")
    MAIL_MAX_ATTEMPTS: int = _field(8, "a mail still refused after this many attempts is marked failed", gt=0)
    MAIL_RETRY_BASE_S: Seconds = _field(60, "first wait after a temporary refusal; doubles each time, at most 6 h",
                                        gt=0)
    MAIL_SEND_LEASE_S: Seconds = _field(600, "a mail claimed by a sender that vanished is due again after this",
                                        gt=0)

    # -- webhooks and chat robots out (market/notifications) ------------------------------
    WEBHOOK_REQUIRE_HTTPS: bool = _field(True, "refuse `http://` webhook targets; `false` only for development "
                                         "and tests")
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: bool = _field(False, "allow loopback, private and link-local webhook targets "
                                                  "(on-premises installs)")
    WEBHOOK_ALLOWED_HOSTS: Annotated[list[str], NoDecode] = _field(
        [], "comma-separated host names or addresses allowed even when they resolve to private addresses",
        shown="none")
    WEBHOOK_CONNECT_TIMEOUT_S: Seconds = _field(3, "connect timeout of one delivery", gt=0)
    WEBHOOK_TIMEOUT_S: Seconds = _field(10, "time limit of one delivery, answer included", gt=0)
    WEBHOOK_RETRY_SCHEDULE_S: Annotated[list[float], NoDecode] = _field(
        [5, 60, 300, 1800, 7200, 18000, 28800, 28800],
        "comma-separated waits after the 1st, 2nd, … failed attempt; once spent the delivery has failed",
        shown="`5,60,300,1800,7200,18000,28800,28800` (about 24 h)")
    WEBHOOK_DISABLE_AFTER_S: Seconds = _field(86400, "an endpoint failing this long with no success is disabled",
                                              gt=0)
    WEBHOOK_SENDER_THREADS: int = _field(4, "deliveries sent at once by one sender", gt=0)
    WEBHOOK_BATCH: int = _field(200, "deliveries one sender claims at a time", gt=0)
    WEBHOOK_LEASE_S: Seconds = _field(120, "a delivery claimed by a sender that vanished is due again after this",
                                      gt=0)
    WEBHOOK_DISPATCH: Literal["background", "sweep"] = _field(
        "background", "`background`: sent right after the commit, off the request path; `sweep`: only by the "
        "periodic task")
    WEBHOOK_MAX_ENDPOINTS: int = _field(20, "webhook and robot endpoints one organization may register", gt=0)
    WEBHOOK_KEEP_DAYS: float = _field(30, "delivery log kept this many days", gt=0)

    @field_validator("LEDGER_WITNESS_KEYS")
    @classmethod
    def _witness_keys(cls, value: list[str]) -> list[str]:
        from ledger.cosign import parse_witness_keys
        from ledger.errors import SigningKeyError

        try:
            parse_witness_keys(value)
        except SigningKeyError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("LEDGER_WITNESS_QUORUM")
    @classmethod
    def _witness_quorum(cls, value: int, info: ValidationInfo) -> int:
        keys = info.data.get("LEDGER_WITNESS_KEYS") or []
        if value > len(keys):
            raise ValueError(f"a quorum of {value} needs at least {value} LEDGER_WITNESS_KEYS, {len(keys)} given")
        return value

    @field_validator("WEBHOOK_ALLOWED_HOSTS", "WEBHOOK_RETRY_SCHEDULE_S", "LEDGER_WITNESS_KEYS", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("WEBHOOK_ALLOWED_HOSTS")
    @classmethod
    def _lower_hosts(cls, value: list[str]) -> list[str]:
        return [host.lower() for host in value]

    @field_validator("PASSWORD_HASH_MEMORY_KIB")
    @classmethod
    def _argon2_memory(cls, value: int, info: ValidationInfo) -> int:
        lanes = info.data.get("PASSWORD_HASH_PARALLELISM", 1)
        if value < 8 * lanes:
            raise ValueError(f"Argon2 needs at least 8 KiB per lane: {8 * lanes} for {lanes} lanes")
        return value

    @field_validator("LOG_LEVEL", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("BABEL_DEFAULT_TIMEZONE")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Asia/Shanghai)") from None
        return value

    @field_validator("PLATFORM_CURRENCY")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        from babel.numbers import list_currencies

        if value.upper() not in list_currencies():
            raise ValueError(f"unknown currency {value!r} (an ISO 4217 code such as CNY)")
        return value.upper()

    @field_validator("API_RATE_LIMIT", "LOGIN_RATE_LIMIT")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError:
            raise ValueError(f"not a rate limit: {value!r} (e.g. '20 per minute')") from None
        return value


def env_name(name: str) -> str:
    """The environment variable of setting `name` (they differ for MARKET_VAR_DIR, PORTAL_TIMEZONE)."""
    alias = Settings.model_fields[name].validation_alias
    return alias.choices[0] if isinstance(alias, AliasChoices) else name


def secret_names() -> tuple[str, ...]:
    return tuple(name for name, f in Settings.model_fields.items() if SecretStr in _types(f.annotation))


def url_names() -> tuple[str, ...]:
    """Settings holding a URL that may carry a password: kept out of repr (repr=False) and
    of error messages, and their passwords out of the logs (market/logs.py)."""
    return tuple(name for name, f in Settings.model_fields.items() if f.repr is False)


def load(overrides: Mapping[str, Any] | None = None, *, env_file: str | Path | None = ".env") -> Settings:
    """Read and check the settings; `overrides` (config keys, e.g. from tests) win over the
    environment. Keys that are no setting are left to the caller."""
    given = {k: v for k, v in (overrides or {}).items() if k in Settings.model_fields}
    try:
        return Settings(_env_file=env_file, **given)
    except ValidationError as exc:
        raise SettingsError(_message(exc)) from None


def _message(exc: ValidationError) -> str:
    by_env = {env_name(k): k for k in Settings.model_fields}
    lines = []
    for error in exc.errors(include_url=False):
        loc = str(error["loc"][0]) if error["loc"] else ""
        key = by_env.get(loc, loc)
        field = Settings.model_fields.get(key)
        msg = error["msg"]
        if msg.startswith("Value error, "):  # our validators name the value themselves
            msg, shown = msg.removeprefix("Value error, "), ""
        elif field is not None and (key in secret_names() or field.repr is False):
            shown = ""  # secrets and URLs that may carry a password are never echoed
        else:
            shown = f" (got {error.get('input')!r})"
        lines.append(f"  {env_name(key) if field is not None else loc or 'settings'}: {msg}{shown}")
    return "invalid configuration:\n" + "\n".join(lines)


def flask_config(settings: Settings) -> dict[str, Any]:
    """The values as app.config holds them: secrets revealed (Flask and the domains need the
    text), computed defaults filled in. Creates VAR_DIR and, without SECRET_KEY, the dev key."""
    var = settings.VAR_DIR.resolve()
    var.mkdir(parents=True, exist_ok=True)
    config = {}
    for name in Settings.model_fields:
        value = getattr(settings, name)
        config[name] = value.get_secret_value() if isinstance(value, SecretStr) else value
    config.update(
        VAR_DIR=str(var),
        DATABASE_URL=settings.DATABASE_URL or f"sqlite:///{var / 'market.db'}",
        UPLOAD_DIR=settings.UPLOAD_DIR or str(var / "uploads"),
        MAIL_DIR=settings.MAIL_DIR or str(var / "mail"),
        SECRET_KEY=config["SECRET_KEY"] or _dev_secret_key(var),
    )
    return config


def _dev_secret_key(var: Path) -> str:
    # generated once and kept under var/, so sessions survive restarts
    key_file = var / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


# -- the README's configuration table -----------------------------------------------------------

TABLE_START = "<!-- settings-table: generated by `market settings-table --readme README.md`; do not edit -->"
TABLE_END = "<!-- /settings-table -->"


def _types(annotation: Any) -> tuple[Any, ...]:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return typing.get_args(annotation)
    return (annotation,)


def _type_text(annotation: Any) -> str:
    names = {int: "integer", float: "number", bool: "boolean", str: "text", Path: "path", SecretStr: "secret"}
    parts = []
    for t in _types(annotation):
        if t is type(None):
            continue
        if typing.get_origin(t) is Literal:
            parts.append(" / ".join(f"`{v}`" for v in typing.get_args(t)))
        else:
            parts.append(names.get(t, getattr(t, "__name__", str(t))))
    return ", ".join(parts)


def _default_text(name: str) -> str:
    field = Settings.model_fields[name]
    extra = field.json_schema_extra or {}
    if "shown" in extra:
        return str(extra["shown"])
    if SecretStr in _types(field.annotation):
        return "unset"
    value = field.default
    if value is None or value == "":
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`"


def markdown_table() -> str:
    rows = ["| variable | type | default | meaning |", "|---|---|---|---|"]
    for name, field in Settings.model_fields.items():
        cells = (f"`{env_name(name)}`", _type_text(field.annotation), _default_text(name), field.description or "")
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows)


def with_table(readme: str) -> str:
    """`readme` with the text between the table markers replaced by the current table."""
    head, start, rest = readme.partition(TABLE_START)
    _, end, tail = rest.partition(TABLE_END)
    if not start or not end:
        raise SettingsError(f"README has no {TABLE_START!r} … {TABLE_END!r} markers")
    return f"{head}{TABLE_START}\n{markdown_table()}\n{TABLE_END}{tail}"
