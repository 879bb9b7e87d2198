"""`market outbox`: the mail the portal wrote and nothing has sent yet (no sender exists yet:
the operator passes reset and invitation links on)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from market.accounts.models import OutboxEmail
from market.db import unit_of_work


@click.command("outbox")
@click.option("--to", "to_address", help="only mail to this address")
@with_appcontext
def outbox_command(to_address: str | None) -> None:
    """Print unsent mail (password resets, invitations), oldest first."""
    query = select(OutboxEmail).where(OutboxEmail.sent_at.is_(None)).order_by(OutboxEmail.id)
    if to_address:
        query = query.where(OutboxEmail.to_address == to_address.strip().lower())
    with unit_of_work() as s:
        for mail in s.scalars(query):
            click.echo(f"To: {mail.to_address}\nDate: {mail.created_at.isoformat()}\nSubject: {mail.subject}\n\n"
                       f"{mail.body}\n")
