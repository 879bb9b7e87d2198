from __future__ import annotations

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from market.db import Base


class RateLimitCounter(Base):
    """One fixed-window rate-limit counter (see market.web.ratelimits): shared by every
    worker and machine that uses this database."""

    __tablename__ = "rate_limit_counters"

    bucket: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int]
    expires_at: Mapped[float] = mapped_column(Float, index=True)  # Unix seconds
