"""Accounts tells the kernel's auth who is calling: the user a portal session names and the
actor an API bearer token acts as. Registered at app start-up, because auth (kernel) sits
below accounts and must not import it."""
from __future__ import annotations

from flask import Flask

from market import auth
from market.accounts import services, token_cache


def init_app(app: Flask) -> None:
    auth.set_session_loader(services.load_session_user)
    auth.set_token_authenticator(app, services.authenticate_token)
    app.extensions["token_cache"] = token_cache.TokenCache()  # this app's bearer tokens (see there)
