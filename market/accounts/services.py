"""Accounts: sign-up, login with lockout, password reset by mail, API tokens."""
from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from market import bus, errors, policy
from market.accounts import token_cache
from market.accounts.domain_events import SecurityActivity
from market.accounts.models import ApiToken, LoginThrottle, Organization, PasswordResetToken, SignupRequest, User
from market.accounts.passwords import hash_password, verify_password
from market.auth import Actor, SessionUser
from market.db import unit_of_work, utcnow
from market.mail import compose as mail

log = logging.getLogger("market.accounts")

SELF_SERVICE_KINDS = ("factory", "buyer", "lender", "insurer")
LOCKOUT_AFTER = 5
TOKEN_PREFIX = "smm_"
SIGNUP_TTL_MINUTES = 24 * 60


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def login_name_digest(email: str) -> str:
    """What is kept of a login name that matches no account: enough to see one name tried
    again and again, not the text itself (people type passwords into the email field)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


def _security_activity(s, action: str, *, user: User | None = None, organization_id: int | None = None,
                       actor_user_id: int | None = None, **detail) -> None:
    """Publish it in `s`: the operator's log records it in the same transaction, so it commits
    with the change it describes (or with the failed attempt, which the caller commits)."""
    bus.publish(s, SecurityActivity(action, user_id=user.id if user else None,
                                    organization_id=organization_id or (user.organization_id if user else None),
                                    actor_user_id=actor_user_id, detail=detail))


def actor_of(user: User) -> Actor:
    org = user.organization
    return Actor(org.id, org.public_id, org.kind, org.name, user.id, user.role)


def _session_user(user: User) -> SessionUser:
    return SessionUser(str(user.public_id), user.name, user.email, actor_of(user), user.locale,
                       user.session_version)


def load_session_user(session_id: str) -> SessionUser | None:
    """The user a session names ("<public id>:<session version>"), if that version is current."""
    public_id, _, version = session_id.partition(":")
    try:
        pid, version = uuid.UUID(public_id), int(version)
    except ValueError:
        return None
    with unit_of_work() as s:
        user = s.scalar(select(User).where(User.public_id == pid, User.session_version == version))
        return _session_user(user) if user else None


def _end_sessions(user: User) -> None:
    user.session_version += 1


def sign_up(*, email: str, password: str, name: str, organization_name: str, kind: str) -> SessionUser:
    if kind not in SELF_SERVICE_KINDS:
        raise errors.Invalid(f"kind must be one of {', '.join(SELF_SERVICE_KINDS)}", field="kind")
    email = email.strip().lower()
    with unit_of_work() as s:
        if s.scalar(select(func.count()).select_from(User).where(User.email == email)):
            raise errors.Conflict("an account with this email already exists", field="email")
        org = Organization(kind=kind, name=organization_name.strip())
        user = User(organization=org, email=email, name=name.strip(), password_hash=hash_password(password), role="owner")
        s.add_all([org, user])
        s.flush()
        _security_activity(s, "account.created", user=user, org_kind=kind)
        s.commit()
        log.info("signed up", extra={"user": str(user.public_id), "org_kind": kind})
        return _session_user(user)


def request_sign_up(*, email: str, password: str, name: str, organization_name: str, kind: str,
                    confirm_url_for, login_url: str, language: str = "en") -> None:
    """The portal's sign-up: mail a link that finishes it, or, when the address already has an
    account, a note to its owner. The same rows are written and the same answer given either
    way, so sign-up does not tell a stranger which addresses have accounts. The mail is in
    `language`, the one the form was filled in (a taken address: its owner's)."""
    if kind not in SELF_SERVICE_KINDS:
        raise errors.Invalid(f"kind must be one of {', '.join(SELF_SERVICE_KINDS)}", field="kind")
    email, token = email.strip().lower(), secrets.token_urlsafe(32)
    password_hash = hash_password(password)
    with unit_of_work() as s:
        owner = s.scalar(select(User).where(User.email == email))
        s.add(SignupRequest(token_hash=_sha256(token), email=email, name=name.strip(),
                            organization_name=organization_name.strip(), kind=kind, password_hash=password_hash,
                            expires_at=utcnow() + timedelta(minutes=SIGNUP_TTL_MINUTES)))
        if owner:
            mail.queue(s, "signup_taken", to=email, subject=_l("Your sign-up"), language=owner.locale or language,
                       login_url=login_url)
        else:
            mail.queue(s, "signup_confirm", to=email, subject=_l("Your sign-up"), language=language,
                       link=confirm_url_for(token))
        s.commit()


def _link_expired(kind: str) -> errors.DomainError:
    message = (_l("This sign-up link is invalid or has expired.") if kind == "sign-up"
               else _l("This reset link is invalid or has expired."))
    return errors.refusal(errors.Invalid, message, field="token", detail=f"this {kind} link is invalid or has expired")


def confirm_sign_up(token: str) -> SessionUser:
    """Create the organization and its owner from a confirmed sign-up request; once."""
    with unit_of_work() as s:
        row = s.scalar(select(SignupRequest).where(SignupRequest.token_hash == _sha256(token)).with_for_update())
        if row is None or row.used_at is not None or row.expires_at <= utcnow():
            raise _link_expired("sign-up")
        row.used_at = utcnow()
        if s.scalar(select(func.count()).select_from(User).where(User.email == row.email)):
            s.commit()
            raise _link_expired("sign-up")
        org = Organization(kind=row.kind, name=row.organization_name)
        user = User(organization=org, email=row.email, name=row.name, password_hash=row.password_hash, role="owner")
        s.add_all([org, user])
        s.flush()
        _security_activity(s, "account.created", user=user, org_kind=row.kind)
        s.commit()
        log.info("signed up", extra={"user": str(user.public_id), "org_kind": row.kind})
        return _session_user(user)


def create_user(*, organization_id: int, email: str, password: str, name: str, role: str = "member") -> User:
    with unit_of_work() as s:
        user = User(organization_id=organization_id, email=email.strip().lower(), name=name,
                    password_hash=hash_password(password), role=role)
        s.add(user)
        s.commit()
        return user


def add_member(actor: Actor, *, email: str, name: str, set_password_url_for, language: str = "en") -> User:
    """An owner adds a colleague; the colleague chooses a password through a link mailed to
    them (the same one-time token as a password reset), so no password travels by hand. The
    mail is in `language` (the owner's: the colleague has chosen none yet)."""
    policy.require_owner(actor, "add members")
    email = email.strip().lower()
    token = secrets.token_urlsafe(32)
    with unit_of_work() as s:
        if s.scalar(select(func.count()).select_from(User).where(User.email == email)):
            raise errors.Conflict("an account with this email already exists", field="email")
        user = User(organization_id=actor.org_id, email=email, name=name.strip(), role="member",
                    password_hash=hash_password(secrets.token_urlsafe(32)))
        s.add(user)
        s.flush()
        ttl = 7 * 24 * 60
        s.add(PasswordResetToken(user_id=user.id, token_hash=_sha256(token), expires_at=utcnow() + timedelta(minutes=ttl)))
        inviter = s.get(User, actor.user_id) if actor.user_id else None
        mail.queue(s, "member_invite", to=email, subject=_l("You were added to %(org)s", org=actor.org_name),
                   language=language, name=user.name, org_name=actor.org_name,
                   inviter=inviter.name if inviter else actor.org_name, link=set_password_url_for(token))
        _security_activity(s, "member.added", user=user, actor_user_id=actor.user_id, role=user.role)
        s.commit()
        return user


def list_members(actor: Actor) -> list[User]:
    with unit_of_work() as s:
        return list(s.scalars(select(User).where(User.organization_id == actor.org_id).order_by(User.id)))


def _failed_login(s, subject: str, source: str, now) -> int:
    """Count one more failure of (subject, source), atomically; returns the count."""
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(LoginThrottle).values(subject=subject, source=source, failures=1, last_failed_at=now)
    stmt = stmt.on_conflict_do_update(index_elements=["subject", "source"],
                                      set_={"failures": LoginThrottle.failures + 1, "last_failed_at": now})
    return s.execute(stmt.returning(LoginThrottle.failures)).scalar_one()


def authenticate(email: str, password: str, *, source: str = "") -> SessionUser:
    """Check a password. After 5 failures of one login name from one client address, that
    pair locks with exponential backoff (1, 2, 4 ... 60 minutes): the same for a name no
    account has, so the answers tell nothing, and a stranger elsewhere cannot lock the owner out."""
    now, subject, source = utcnow(), _sha256(email.strip().lower()), source[:45]
    with unit_of_work() as s:
        user = s.scalar(select(User).where(User.email == email.strip().lower()))
        who = {"user": user} if user else {"unknown_login": login_name_digest(email)}
        throttle = s.scalar(select(LoginThrottle).where(LoginThrottle.subject == subject,
                                                        LoginThrottle.source == source))
        if throttle and throttle.locked_until and throttle.locked_until > now:
            _security_activity(s, "login.refused_locked", **who)
            s.commit()
            raise errors.Forbidden("too many failed attempts; try again later")
        if not verify_password(user.password_hash if user else None, password):
            failures = _failed_login(s, subject, source, now)
            _security_activity(s, "login.failed", failures=failures, **who)
            if failures >= LOCKOUT_AFTER:
                minutes = min(2 ** (failures - LOCKOUT_AFTER), 60)
                s.execute(update(LoginThrottle).where(LoginThrottle.subject == subject, LoginThrottle.source == source)
                          .values(locked_until=now + timedelta(minutes=minutes)))
                _security_activity(s, "account.locked", minutes=minutes, **who)
                log.warning("login locked", extra={"source": source, "minutes": minutes})
            s.commit()
            raise errors.Unauthorized("wrong email or password")
        s.execute(delete(LoginThrottle).where(LoginThrottle.subject == subject, LoginThrottle.source == source))
        # the address lets a listener tell the user of a sign-in from somewhere new
        _security_activity(s, "login.succeeded", user=user, **({"address": source} if source else {}))
        s.commit()
        return _session_user(user)


def request_password_reset(email: str, reset_url_for, language: str = "en") -> None:
    """Mail a reset link when an account has the address, else a note that none has; in the
    user's language, else `language` (the one the request came in).

    Both cases write the same rows (a token, a mail, a security event) with the same
    statements, so neither the answer nor its timing tells whether the account exists;
    the token of an address without an account matches no user and never resets anything."""
    email = email.strip().lower()
    token = secrets.token_urlsafe(32)
    ttl = current_app.config["PASSWORD_RESET_TTL_MINUTES"]
    with unit_of_work() as s:
        user = s.scalar(select(User).where(User.email == email))
        s.add(PasswordResetToken(user_id=user.id if user else None, token_hash=_sha256(token),
                                 expires_at=utcnow() + timedelta(minutes=ttl)))
        if user:
            mail.queue(s, "password_reset", to=user.email, subject=_l("Reset your password"),
                       language=user.locale or language, name=user.name, ttl_minutes=ttl, link=reset_url_for(token))
            _security_activity(s, "password.reset_requested", user=user)
        else:
            mail.queue(s, "password_reset_unknown", to=email[:254], subject=_l("Reset your password"),
                       language=language)
            _security_activity(s, "password.reset_requested", unknown_login=login_name_digest(email))
        s.commit()


def reset_password(token: str, new_password: str) -> None:
    with unit_of_work() as s:
        row = s.scalar(select(PasswordResetToken).where(PasswordResetToken.token_hash == _sha256(token)).with_for_update())
        if row is None or row.user_id is None or row.used_at is not None or row.expires_at <= utcnow():
            raise _link_expired("reset")
        user = s.get(User, row.user_id)
        user.password_hash = hash_password(new_password)
        s.execute(delete(LoginThrottle).where(LoginThrottle.subject == _sha256(user.email)))  # the owner is back
        # every outstanding link dies with this one, and every session opened before
        s.execute(update(PasswordResetToken).where(PasswordResetToken.user_id == user.id,
                                                   PasswordResetToken.used_at.is_(None)).values(used_at=utcnow()))
        _end_sessions(user)
        _security_activity(s, "password.reset", user=user)
        s.commit()


def logged_out(user_public_id: str) -> None:
    """Logging out ends every session of the user (all devices): a copied cookie must not
    outlive the logout, and sessions are not stored server-side to end just this one."""
    with unit_of_work() as s:
        user = s.scalar(select(User).where(User.public_id == uuid.UUID(user_public_id)))
        if user is not None:
            _end_sessions(user)
            _security_activity(s, "logout", user=user)
            s.commit()


def set_locale(user_public_id: str, locale: str) -> None:
    with unit_of_work() as s:
        user = s.scalar(select(User).where(User.public_id == uuid.UUID(user_public_id)))
        user.locale = locale
        s.commit()


# --- API tokens ---------------------------------------------------------------------------

def create_api_token(actor: Actor, *, name: str, scope: str) -> tuple[ApiToken, str]:
    """Returns the record and the plaintext token, which is never stored nor shown again."""
    if scope not in ("read", "write"):
        raise errors.Invalid("scope must be 'read' or 'write'", field="scope")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with unit_of_work() as s:
        token = ApiToken(organization_id=actor.org_id, created_by_id=actor.user_id, name=name.strip() or "token",
                         prefix=plaintext[:10], token_hash=_sha256(plaintext), scope=scope)
        s.add(token)
        _security_activity(s, "token.created", organization_id=actor.org_id, actor_user_id=actor.user_id,
                           prefix=token.prefix, scope=scope, name=token.name)
        s.commit()
        return token, plaintext


def list_api_tokens(actor: Actor) -> list[ApiToken]:
    with unit_of_work() as s:
        return list(s.scalars(select(ApiToken).where(ApiToken.organization_id == actor.org_id).order_by(ApiToken.id.desc())))


def revoke_api_token(actor: Actor, public_id: uuid.UUID) -> ApiToken:
    with unit_of_work() as s:
        token = s.scalar(select(ApiToken).where(ApiToken.public_id == public_id, ApiToken.organization_id == actor.org_id))
        if token is None:
            raise errors.NotFound("no such token")
        if not policy.may_revoke_token(actor, token):
            raise errors.Forbidden("only an owner may revoke another member's token")
        token.revoked_at = token.revoked_at or utcnow()
        _security_activity(s, "token.revoked", organization_id=actor.org_id, actor_user_id=actor.user_id,
                           prefix=token.prefix)
        s.commit()
        return token


def authenticate_token(plaintext: str) -> Actor | None:
    if not plaintext.startswith(TOKEN_PREFIX):
        return None
    digest = _sha256(plaintext)
    cache: token_cache.TokenCache | None = current_app.extensions.get("token_cache")
    # Every API call comes through here: a cached actor costs one primary-key read of the
    # token generation (market/accounts/token_cache.py); otherwise one round trip reads the
    # token, its organization and its creator's role as plain columns (no entity graph), and
    # it writes only when stale.
    with unit_of_work() as s:
        generation = token_cache.read_generation(s.connection()) if cache is not None else None
        if cache is not None and (actor := cache.get(digest, generation)) is not None:
            return actor
        row = s.execute(
            select(ApiToken.id, ApiToken.revoked_at, ApiToken.last_used_at, ApiToken.scope, ApiToken.created_by_id,
                   Organization.id.label("org_id"), Organization.public_id, Organization.kind, Organization.name,
                   User.role, User.organization_id.label("creator_org_id"))
            .join(Organization, Organization.id == ApiToken.organization_id)
            .outerjoin(User, User.id == ApiToken.created_by_id)
            .where(ApiToken.token_hash == digest)
        ).one_or_none()
        if row is None or row.revoked_at is not None:
            return None
        # The token acts as its creator does now: a demotion takes effect at once, and the
        # tokens of a member who left the organization stop working. (Tokens from before
        # creators were recorded have no role, so no owner-only action.)
        if row.created_by_id is not None and row.creator_org_id != row.org_id:
            return None
        now = utcnow()
        # Touch last_used_at at most once a minute: a hot token must not write on every call.
        if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
            s.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
            s.commit()
        scopes = frozenset({"read", "write"}) if row.scope == "write" else frozenset({"read"})
        actor = Actor(row.org_id, row.public_id, row.kind, row.name, row.created_by_id, row.role, scopes)
        if cache is not None:
            cache.put(digest, generation, actor)
        return actor


def get_organization(actor: Actor) -> Organization:
    with unit_of_work() as s:
        return s.get(Organization, actor.org_id)


def rename_organization(actor: Actor, name: str) -> Organization:
    policy.require_owner(actor, "rename the organization")
    with unit_of_work() as s:
        org = s.get(Organization, actor.org_id)
        org.name = name.strip()
        s.commit()
        return org


def list_organizations(actor: Actor) -> list[Organization]:
    if not actor.is_operator:
        raise errors.Forbidden("only operators may list organizations")
    with unit_of_work() as s:
        return list(s.scalars(select(Organization).order_by(Organization.id)))


def actor_of_id(user_id: int) -> Actor:
    with unit_of_work() as s:
        return actor_of(s.get(User, user_id))
