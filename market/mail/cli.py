"""`market outbox`: the mail queue on the command line (what waits, what failed and why),
and `market outbox send` to send what is due now (what the periodic sweep does)."""
from __future__ import annotations

import json

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from market.db import unit_of_work
from market.mail import delivery
from market.mail.models import OutboxEmail


@click.group("outbox", invoke_without_command=True)
@click.option("--to", "to_address", help="only mail to this address")
@click.option("--all", "show_all", is_flag=True, help="sent mail too, not only what waits or failed")
@click.pass_context
@with_appcontext
def outbox_command(ctx: click.Context, to_address: str | None, show_all: bool) -> None:
    """Print queued mail (password resets, invitations, sign-ups) that is not sent yet, oldest first."""
    if ctx.invoked_subcommand is not None:
        return
    query = select(OutboxEmail).order_by(OutboxEmail.id)
    if not show_all:
        query = query.where(OutboxEmail.status != "sent")
    if to_address:
        query = query.where(OutboxEmail.to_address == to_address.strip().lower())
    with unit_of_work() as s:
        for mail in s.scalars(query):
            error = f"\nLast error: {mail.last_error}" if mail.last_error else ""
            click.echo(f"To: {mail.to_address}\nDate: {mail.created_at.isoformat()}\nSubject: {mail.subject}\n"
                       f"Status: {mail.status} (attempts: {mail.attempts}){error}\n\n{mail.body}\n")


@outbox_command.command("send")
@with_appcontext
def outbox_send() -> None:
    """Send every message that is due now (new, or waiting for a retry)."""
    click.echo(json.dumps(delivery.send_due()))
