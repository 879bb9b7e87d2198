"""The `market` command: Flask's CLI plus db, demo and serving commands."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, NoAppException, with_appcontext

from market import create_app, migrate, settings


def _app():
    try:
        return create_app()
    except settings.SettingsError as exc:
        # click prints "Error: invalid configuration: ..." and exits 2, without a traceback
        raise NoAppException(str(exc)) from None


# load_dotenv=False: Flask would load the nearest .env of any parent directory and chdir
# there; market/settings.py reads ./.env itself, for gunicorn and Celery as well.
# `--env-file PATH` (Flask's option) still puts PATH's variables into the environment.
@click.group(cls=FlaskGroup, create_app=_app, load_dotenv=False)
def main() -> None:
    """Shared-manufacturing marketplace."""


@main.command("settings-table")
@click.option("--readme", type=click.Path(exists=True, dir_okay=False),
              help="rewrite the table between the markers of this file instead of printing it")
def settings_table(readme: str | None) -> None:
    """Print the configuration table (markdown) generated from market/settings.py."""
    if readme is None:
        click.echo(settings.markdown_table())
        return
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    try:
        text = settings.with_table(text)
    except settings.SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    with open(readme, "w", encoding="utf-8") as f:
        f.write(text)
    click.echo(f"{readme}: configuration table updated")


@main.group()
def db() -> None:
    """Schema migrations (Alembic)."""


@db.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    migrate.upgrade(current_app.config["DATABASE_URL"], revision)


@db.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    migrate.downgrade(current_app.config["DATABASE_URL"], revision)


@main.command("seed-demo")
@click.option("--force", is_flag=True, help="seed even when the database already has organizations")
@with_appcontext
def seed_demo(force: bool) -> None:
    """Fill an empty database with a believable demo world."""
    from market.demo import seed

    if seed.is_empty() or force:
        seed.seed_world()
        click.echo("demo world seeded")
    else:
        click.echo("database not empty: demo seeding skipped")
    seed.print_logins(click.echo)


@main.command("up")
@with_appcontext
def up() -> None:
    """Migrate, seed the demo world if empty, then serve with gunicorn on 127.0.0.1:8000."""
    from market.demo import seed

    migrate.upgrade(current_app.config["DATABASE_URL"])
    if seed.is_empty():
        seed.seed_world()
    seed.print_logins(click.echo)
    # several gunicorn workers: Prometheus counts go to files that /metrics sums
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", os.path.join(current_app.config["VAR_DIR"], "prometheus"))
    bind = current_app.config["BIND"]
    click.echo(f"serving on http://{bind}  (API docs: http://{bind}/api/docs)")
    os.execvp(sys.executable, [sys.executable, "-m", "gunicorn", "-c", "python:market.gunicorn_conf", "market:create_app()"])


@main.group("ledger")
def ledger_group() -> None:
    """The tamper-evident ledger."""


@ledger_group.command("checkpoint")
@click.option("--no-anchor", is_flag=True, help="sign only; do not anchor the checkpoint's root on the chain")
@with_appcontext
def ledger_checkpoint(no_anchor: bool) -> None:
    """Sign a checkpoint of the current tree and anchor it on the configured chain."""
    from market.trace import services

    cp, anchor, error = services.checkpoint(anchor=not no_anchor)
    click.echo(f"checkpoint {cp.seq}: size {cp.tree_size}")
    if anchor and anchor.status == "confirmed":
        click.echo(f"anchored: tx {anchor.tx_hash} block {anchor.block_number} ({anchor.chain})")
    elif anchor:  # the periodic checkpoint confirms it once ANCHOR_CONFIRMATIONS blocks are on it
        click.echo(f"submitted: tx {anchor.tx_hash} block {anchor.block_number} ({anchor.chain}), "
                   "awaiting confirmations")
    if error:
        raise click.ClickException(f"anchoring failed (will be retried): {error}")


@ledger_group.command("audit")
@with_appcontext
def ledger_audit() -> None:
    """Walk the whole ledger: hash chain, tree, checkpoints. Exit 1 on the first bad index."""
    from market.trace import services

    report = services.run_audit()
    click.echo(report.summary())
    if not report.ok:
        sys.exit(1)


@main.command("backup")
@click.argument("archive", type=click.Path(dir_okay=False), required=False)
@with_appcontext
def backup_command(archive: str | None) -> None:
    """Write the database, the ledger key and var/ into one archive (see docs/operations.md)."""
    from datetime import datetime, timezone
    from pathlib import Path

    from market.ops import backup

    path = Path(archive or f"market-backup-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.tar.gz")
    try:
        manifest = backup.backup(current_app, path)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{path}: {manifest.dialect} database at {manifest.schema_revision}, {manifest.ledger_size} ledger "
               f"entries, {manifest.checkpoints} checkpoints, {len(manifest.files)} files"
               + ("" if manifest.ledger_key_in_archive else "; the ledger key is NOT inside (LEDGER_SIGNING_KEY)"))


@main.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="replace a database that is not empty and files that differ")
@with_appcontext
def restore_command(archive: str, force: bool) -> None:
    """Restore an archive made by `market backup` into DATABASE_URL and MARKET_VAR_DIR."""
    from pathlib import Path

    from market.ops import backup

    try:
        report = backup.restore(current_app, Path(archive), force=force)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"restored {report.manifest.dialect} database at {report.schema_revision} "
               f"({report.ledger_size} ledger entries) and {report.files_restored} files; "
               f"now run `market ledger audit`")


@main.group("quotes")
def quotes_group() -> None:
    """Quotes."""


@quotes_group.command("expire")
@with_appcontext
def quotes_expire() -> None:
    """Lapse expired quotes; orders left without one go back to 'open' (run from cron)."""
    from market.matching import services

    click.echo(f"{services.expire_quotes()} quote(s) expired")


@quotes_group.command("batch")
@with_appcontext
def quotes_batch() -> None:
    """Match all open orders against all open capacity now (run from cron); waits for it."""
    from market.db import unit_of_work
    from market.matching import tasks
    from market.matching.models import SolveJob

    with unit_of_work() as s:
        job = SolveJob(kind="batch", organization_id=_operator_org_id(s))
        s.add(job)
        s.commit()
    tasks.execute("batch", job.id)
    with unit_of_work() as s:
        click.echo(s.get(SolveJob, job.id).result)


@main.group("payments")
def payments_group() -> None:
    """Payments and payouts."""


@payments_group.command("retry")
@with_appcontext
def payments_retry() -> None:
    """Finish provider calls left pending (timeouts, outages): same idempotency keys (cron)."""
    from market.payments.execution import retry_all

    done = retry_all()
    click.echo(f"{len(done)} order(s) with pending payment work: {done}")


@payments_group.command("auto-confirm")
@with_appcontext
def payments_auto_confirm() -> None:
    """Confirm deliveries shipped DELIVERY_AUTO_CONFIRM_DAYS ago without an answer (cron)."""
    from market.payments.services import auto_confirm_deliveries

    click.echo(f"{auto_confirm_deliveries()} order(s) confirmed automatically")


@payments_group.command("recourse")
@with_appcontext
def payments_recourse() -> None:
    """Assigned payouts whose buyer has not paid by the financing's due date: recourse on the factory (cron)."""
    from market.payments.assignments import mark_overdue

    click.echo(f"{mark_overdue()} assignment(s) moved to recourse")


def _operator_org_id(s) -> int:
    from sqlalchemy import select

    from market.accounts.models import Organization

    org_id = s.scalar(select(Organization.id).where(Organization.kind == "operator").order_by(Organization.id))
    if org_id is None:
        raise click.ClickException("no operator organization: batch jobs are recorded under the operator")
    return org_id


from market.telemetry.cli import telemetry_group  # noqa: E402

main.add_command(telemetry_group)

from market.credit.cli import credit_group  # noqa: E402

main.add_command(credit_group)

from market.mail.cli import outbox_command  # noqa: E402

main.add_command(outbox_command)


@main.command("i18n-compile")
def i18n_compile() -> None:
    """Compile the .po catalogs under market/translations to .mo."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in Path(__file__).with_name("translations").glob("*/LC_MESSAGES/messages.po"):
        with po.open("rb") as f:
            catalog = read_po(f)
        with po.with_suffix(".mo").open("wb") as f:
            write_mo(f, catalog)
        click.echo(f"compiled {po}")


@main.command("events")
@with_appcontext
def events_command() -> None:
    """Print the domain events, who publishes them and who listens (docs/architecture.md)."""
    click.echo(events_table(current_app.extensions["bus"]))


@main.command("notifications")
@with_appcontext
def notifications_command() -> None:
    """Print the notification kinds: event, recipients, e-mail default, link (docs/notifications.md)."""
    from market.notifications.catalogue import markdown_table

    click.echo(markdown_table(), nl=False)


def events_table(bus) -> str:
    """Markdown table of every event in market/*/domain_events.py with its listeners, as
    registered on `bus` at start-up; docs/architecture.md holds a copy (a test compares)."""
    import dataclasses
    import importlib
    import pkgutil

    import market

    rows = ["| event | published by | fields | listeners (kind) |", "|---|---|---|---|"]
    listeners = bus.listeners()
    for info in sorted(pkgutil.iter_modules(market.__path__), key=lambda m: m.name):
        if not info.ispkg or not (Path(market.__path__[0]) / info.name / "domain_events.py").exists():
            continue
        module = importlib.import_module(f"market.{info.name}.domain_events")
        for cls in vars(module).values():
            if dataclasses.is_dataclass(cls) and cls.__module__ == module.__name__:
                name = f"{cls.__module__}.{cls.__qualname__}"
                doc = " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())
                fields = ", ".join(f.name for f in dataclasses.fields(cls))
                heard = "<br>".join(h.removeprefix("market.") for h in listeners.get(name, [])) or "—"
                rows.append(f"| `{cls.__qualname__}`: {doc} | {info.name} | {fields} | {heard} |")
    return "\n".join(rows)


@main.command("webhooks-send")
@click.option("--until-empty", is_flag=True, help="keep sending until nothing is due, then stop")
@click.option("--follow", type=float, default=None, metavar="SECONDS",
              help="run as a sender process: keep sending, looking for due deliveries every SECONDS")
@click.option("--at", "at", default=None, help="ISO 8601 moment to treat as now (default: the clock)")
@with_appcontext
def webhooks_send(until_empty: bool, follow: float | None, at: str | None) -> None:
    """Send the webhook and chat-robot deliveries that are due (what the periodic sweep does)."""
    from datetime import datetime

    from market.notifications import sender

    now = datetime.fromisoformat(at) if at else None
    if follow is not None:
        click.echo(f"sending what is due, looking every {follow:g} s", err=True)
        sender.follow(follow)
        return
    while True:
        counts = sender.send_due(now)
        click.echo(" ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "nothing due")
        if not until_empty or not any(v for k, v in counts.items() if k != "purged"):
            break
