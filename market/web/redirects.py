"""Where a `next` parameter may send the browser: a path on this site, nothing else."""
from __future__ import annotations

from urllib.parse import urlsplit


def local_path(target: str | None, default: str) -> str:
    """`target` when it is a path on this site, else `default`.

    Browsers drop tabs and newlines from a URL and read a backslash as a slash, so
    "/\\t/evil.example" and "/\\\\evil.example" both mean "//evil.example": any control
    character, whitespace or backslash refuses the target, before the "/" but not "//" test."""
    if not target or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 or ch == "\\" for ch in target):
        return default
    if not target.startswith("/") or target.startswith("//"):
        return default
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else default
