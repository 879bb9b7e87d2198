from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import Base, UTCDateTime, new_public_id, utcnow

ORG_KINDS = ("factory", "buyer", "lender", "insurer", "operator")
ROLES = ("owner", "member")
SCOPES = ("read", "write")


class Organization(Base):
    __tablename__ = "organizations"
    __table_args__ = (CheckConstraint(f"kind IN {ORG_KINDS}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    users: Mapped[list["User"]] = relationship(back_populates="organization")


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"role IN {ROLES}", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), default="member")
    locale: Mapped[str | None] = mapped_column(String(8))
    # unused since lockouts are per (login name, address), see LoginThrottle; to be dropped
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of every session's identity ("<public id>:<version>"): a password reset or a logout
    # bumps it, which ends every session and remember-me cookie issued before.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship(back_populates="users", lazy="joined")


class ApiToken(Base):
    """Bearer token of an organization. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint(f"scope IN {SCOPES}", name="scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organization: Mapped[Organization] = relationship(lazy="joined")


class PasswordResetToken(Base):
    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: asked for an address no account has; written all the same (equal work, equal time)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SignupRequest(Base):
    """A sign-up waiting for its address to be confirmed (a link in the outbox). Written for a
    taken address too, whose owner gets a note instead of a link: the same work either way."""

    __tablename__ = "signup_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    organization_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginThrottle(Base):
    """Failed logins of one login name (its SHA-256, whether or not an account has it) from
    one client address: that pair, not the account, is locked out, with a backoff."""

    __tablename__ = "login_throttles"
    __table_args__ = (Index("uq_login_throttles_subject_source", "subject", "source", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(45))
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)



class TokenGeneration(Base):
    """One row: a counter bumped in the same transaction as any change to what a bearer token
    acts as (revoked, its creator's role or organization, its organization's name or kind).
    Each API call reads it (one primary-key row) and reuses its in-process copy of the token's
    actor while it is unchanged (market/accounts/token_cache.py): a revocation is seen by
    every process on the database with its next call."""

    __tablename__ = "token_generation"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
