"""Reading the dev inbox: the .eml files the DevInbox transport wrote (newest first)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

NAME = re.compile(r"^[0-9TZ]+-[0-9a-f]{16}\.eml$")  # what transport.file_name makes; nothing else is read


@dataclass(frozen=True)
class Entry:
    name: str
    to: str
    subject: str
    date: datetime


@dataclass(frozen=True)
class Message:
    name: str
    headers: dict[str, str]
    text: str | None
    html: str | None


def _parse(path: Path) -> EmailMessage:
    with path.open("rb") as f:
        return BytesParser(policy=policy.default).parse(f)


def _date(message: EmailMessage, path: Path) -> datetime:
    try:
        return parsedate_to_datetime(message["Date"])
    except (TypeError, ValueError):
        return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)


def list_messages(directory: str, limit: int = 200) -> list[Entry]:
    root = Path(directory)
    if not root.is_dir():
        return []
    paths = sorted((p for p in root.iterdir() if NAME.match(p.name)), key=lambda p: p.name, reverse=True)[:limit]
    entries = []
    for path in paths:
        message = _parse(path)
        entries.append(Entry(path.name, str(message["To"] or ""), str(message["Subject"] or ""), _date(message, path)))
    return entries


def read_message(directory: str, name: str) -> Message | None:
    """The message file `name`, or None: a name that is not one of ours (a path, "..")
    is never opened."""
    if not NAME.match(name):
        return None
    path = Path(directory) / name
    if not path.is_file():
        return None
    message = _parse(path)
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    headers = {k: str(message[k]) for k in ("From", "To", "Subject", "Date", "Message-ID", "Content-Language")
               if message[k] is not None}
    return Message(name, headers, text.get_content() if text else None, html.get_content() if html else None)
