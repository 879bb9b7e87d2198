"""Who is calling: a portal user (Flask-Login session) or an API bearer token."""
from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from typing import Callable

from flask import Flask, abort, current_app, g, request
from flask_login import LoginManager, UserMixin, current_user

from market import errors


@dataclass(frozen=True)
class Actor:
    org_id: int
    org_public_id: uuid.UUID
    org_kind: str
    org_name: str
    user_id: int | None = None
    role: str | None = None
    scopes: frozenset[str] = frozenset({"read", "write"})

    @property
    def is_operator(self) -> bool:
        return self.org_kind == "operator"


@dataclass(frozen=True)
class SessionUser(UserMixin):
    """What Flask-Login keeps for a signed-in portal user."""

    id: str
    name: str
    email: str
    actor: Actor
    locale: str | None
    session_version: int = 1

    def get_id(self) -> str:
        """What the session (and a remember-me cookie) stores: the user and the session
        version, so that bumping the version ends every session issued before."""
        return f"{self.id}:{self.session_version}"


login_manager = LoginManager()
login_manager.login_view = "accounts.login"


def init_app(app: Flask) -> None:
    login_manager.init_app(app)


# Who a session or a token names is the accounts domain's to say, and accounts sits above
# this kernel module: it registers both answers at app start-up (market/accounts/identity.py).
# Flask-Login keeps its user loader on the login manager; the token check lives on the app.
def set_session_loader(load: Callable[[str], SessionUser | None]) -> None:
    """`load(session_id)`: the signed-in user a session's id names, or None."""
    login_manager.user_loader(load)


def set_token_authenticator(app: Flask, authenticate: Callable[[str], Actor | None]) -> None:
    """`authenticate(plaintext)`: the actor a valid, unrevoked bearer token acts as, or None."""
    app.extensions["token_authenticator"] = authenticate


def _authenticate_token(plaintext: str) -> Actor | None:
    authenticate = current_app.extensions.get("token_authenticator")
    if authenticate is None:
        raise RuntimeError("no token authenticator: create_app registers accounts' (market/accounts/identity.py)")
    return authenticate(plaintext)


def portal_actor() -> Actor:
    if not current_user.is_authenticated:
        abort(401)
    return current_user.actor


def api_actor() -> Actor:
    return g.api_actor


def require_token(scope: str):
    """API decorator: a valid, unrevoked bearer token with `scope` (write implies read)."""

    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            if not header.startswith("Bearer "):
                raise errors.Unauthorized("missing bearer token: send 'Authorization: Bearer <token>'")
            actor = _authenticate_token(header[7:].strip())
            if actor is None:
                raise errors.Unauthorized("invalid or revoked token")
            if scope not in actor.scopes:
                raise errors.Forbidden(f"this token has scope {sorted(actor.scopes)}; '{scope}' is needed")
            g.api_actor = actor
            return fn(*args, **kwargs)

        return wrapper

    return decorator
