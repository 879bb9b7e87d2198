"""Drawings and documents: size- and type-checked by content, stored under var/uploads."""
from __future__ import annotations

import hashlib
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, send_file
from flask_babel import lazy_gettext as _l

from market import errors

# extension -> (content type, check of the first bytes)
ALLOWED = {
    ".pdf": ("application/pdf", lambda head: head.startswith(b"%PDF-")),
    ".png": ("image/png", lambda head: head.startswith(b"\x89PNG\r\n\x1a\n")),
    ".jpg": ("image/jpeg", lambda head: head.startswith(b"\xff\xd8\xff")),
    ".jpeg": ("image/jpeg", lambda head: head.startswith(b"\xff\xd8\xff")),
    ".step": ("model/step", lambda head: head.lstrip().startswith(b"ISO-10303-21;")),
    ".stp": ("model/step", lambda head: head.lstrip().startswith(b"ISO-10303-21;")),
    ".dxf": ("image/vnd.dxf", lambda head: b"SECTION" in head[:64]),
    ".stl": ("model/stl", lambda head: len(head) >= 84),
}


@dataclass(frozen=True)
class StoredFile:
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    storage_key: str


def _upload_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def store(filename: str, stream) -> StoredFile:
    """Check and write one upload; raises before anything is written when it is refused."""
    name = Path(filename or "").name
    ext = Path(name).suffix.lower()
    if ext not in ALLOWED:
        raise errors.refusal(errors.UnsupportedMediaType, _l("file type '%(ext)s' is not accepted; allowed: %(allowed)s",
                                                              ext=ext or "none", allowed=", ".join(sorted(ALLOWED))),
                             field="file")
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise errors.refusal(errors.PayloadTooLarge, _l("file is larger than the %(limit)s byte limit", limit=limit),
                             field="file")
    if not data:
        raise errors.refusal(errors.Invalid, _l("file is empty"), field="file")
    content_type, looks_right = ALLOWED[ext]
    if not looks_right(data[:512]):
        raise errors.refusal(errors.UnsupportedMediaType, _l("the content of '%(name)s' is not a valid %(ext)s file",
                                                              name=name, ext=ext), field="file")
    key = uuid.uuid4().hex
    (_upload_dir() / key).write_bytes(data)
    return StoredFile(name, content_type, len(data), hashlib.sha256(data).hexdigest(), key)


def discard(key: str) -> None:
    (_upload_dir() / key).unlink(missing_ok=True)


@contextmanager
def stored(upload):
    """Check and store one form or API upload for the row written (and committed) inside the
    block; when the block fails the file is removed again, so no file outlives a row that was
    never written."""
    if upload is None or not getattr(upload, "filename", ""):
        raise errors.refusal(errors.Invalid, _l("choose a file to upload"), field="file")
    kept = store(upload.filename, upload.stream)
    try:
        yield kept
    except BaseException:
        discard(kept.storage_key)
        raise


def path_of(key: str) -> Path:
    return _upload_dir() / key


def send(attachment):
    """The stored file as a download under its original name."""
    return send_file(path_of(attachment.storage_key), mimetype=attachment.content_type, as_attachment=True,
                     download_name=attachment.filename)
