"""Buyers rate delivered orders (1-5 stars and a comment, one rating per order); the rated
factories may each post one public reply; everyone reads them on the factory's profile.

A rating rates every factory the accepted quote placed work with, and feeds their supplier
quality at once (market/credit/quality.py, in the rating's transaction). Refusals carry a
message code (`exc.extra["code"]`, a key of MESSAGES) that the portal shows translated.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ledger.disclosure import new_salt
from market import bus, errors
from market.accounts.models import Organization
from market.auth import Actor
from market.catalog.access import own_factories
from market.catalog.models import Factory
from market.catalog.quality import quality_of
from market.credit import events as ev
from market.credit import quality
from market.credit.domain_events import RatingPosted
from market.credit.quality_score import PRIOR_STARS, PRIOR_WEIGHT, bayesian
from market.credit.rating_models import MAX_COMMENT, MAX_REPLY, Rating, RatingSubject
from market.db import unit_of_work, utcnow, write_lock
from market.journal.ledger import record
from market.orders.models import Order, OrderEvent, Quote, QuoteLine
from market.orders.services import find_order
from market.pagination import Order as Keys
from market.pagination import Page, paginate

# the portal's words for each refusal (the API answers in English with the same code)
MESSAGES = {
    "rating.stars": _l("Give 1 to 5 stars."),
    "rating.comment_too_long": _l("A comment has at most %(n)s characters.", n=MAX_COMMENT),
    "rating.not_buyer": _l("Only the buyer of this order may rate it."),
    "rating.not_delivered": _l("You can rate an order once it has been delivered."),
    "rating.already_rated": _l("This order has already been rated."),
    "rating.no_factory": _l("This order has no factory to rate."),
    "reply.empty": _l("Write a reply."),
    "reply.too_long": _l("A reply has at most %(n)s characters.", n=MAX_REPLY),
    "reply.not_rated_factory": _l("Only a factory this rating rates may reply to it."),
    "reply.already_replied": _l("Your factory has already replied to this rating."),
}


def _refuse(cls: type[errors.DomainError], code: str, detail: str, field: str | None = None) -> errors.DomainError:
    exc = cls(detail, field=field)
    exc.extra["code"] = code
    return exc


def message(exc: errors.DomainError) -> str:
    """What the portal shows for a refusal, in the reader's language."""
    code = exc.extra.get("code")
    return str(MESSAGES[code]) if code in MESSAGES else exc.detail


def was_delivered(s: Session, order: Order) -> bool:
    """Delivered now, or delivered before (closed after delivery, disputed after receipt)."""
    if order.state in ("delivered", "closed"):
        return True
    return bool(s.scalar(select(exists().where(OrderEvent.order_id == order.id, OrderEvent.to_state == "delivered"))))


def rated_factories(s: Session, order: Order) -> list[Factory]:
    """The factories the accepted quote placed work with."""
    ids = select(QuoteLine.factory_id).join(Quote, Quote.id == QuoteLine.quote_id).where(
        Quote.order_id == order.id, Quote.status == "accepted")
    return list(s.scalars(select(Factory).where(Factory.id.in_(ids)).order_by(Factory.id)))


def _check_input(stars: int, comment: str) -> None:
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        raise _refuse(errors.Invalid, "rating.stars", f"stars must be 1 to 5, got {stars!r}", field="stars")
    if len(comment) > MAX_COMMENT:
        raise _refuse(errors.Invalid, "rating.comment_too_long",
                      f"a comment has at most {MAX_COMMENT} characters, got {len(comment)}", field="comment")


def rate_order(actor: Actor, order_id: uuid.UUID, *, stars: int, comment: str = "", show_buyer_name: bool = False,
               now: datetime | None = None) -> Rating:
    """The buyer's one rating of its delivered order."""
    comment = comment.strip()
    _check_input(stars, comment)
    with unit_of_work() as s:
        write_lock(s)
        order = find_order(s, actor, order_id, lock=True)  # another buyer's order: 404
        if order.buyer_org_id != actor.org_id:
            raise _refuse(errors.Forbidden, "rating.not_buyer", "only the buyer of this order may rate it")
        if not was_delivered(s, order):
            raise _refuse(errors.Conflict, "rating.not_delivered",
                          f"an order is rated once it is delivered; this one is {order.state}")
        if s.scalar(select(exists().where(Rating.order_id == order.id))):
            raise _refuse(errors.Conflict, "rating.already_rated", "this order has already been rated")
        factories = rated_factories(s, order)
        if not factories:
            raise _refuse(errors.Conflict, "rating.no_factory", "this order has no accepted quote to rate")
        now = now or utcnow()
        rating = Rating(order_id=order.id, buyer_org_id=actor.org_id, author_user_id=actor.user_id, stars=stars,
                        comment=comment, show_buyer_name=show_buyer_name, created_at=now, salt=new_salt(),
                        public_id=uuid.uuid4(), subjects=[RatingSubject(factory=f) for f in factories])
        s.add(rating)
        try:
            s.flush()  # a concurrent rating of the same order that committed first wins: uq_ratings_order_id
        except IntegrityError:
            raise _refuse(errors.Conflict, "rating.already_rated", "this order has already been rated") from None
        quality.refresh(s, [f.id for f in factories], now)
        bus.publish(s, RatingPosted(rating.id, order.id, tuple(f.id for f in factories), stars, actor.user_id))
        buyer = s.get(Organization, actor.org_id)
        rating.ledger_index = record(s, ev.rating_posted(rating, order, factories, buyer))[0].index
        s.commit()
        return rating


def rating_of_order(actor: Actor, order_id: uuid.UUID) -> Rating | None:
    """The order's rating, for whoever may see the order."""
    with unit_of_work() as s:
        order = find_order(s, actor, order_id)
        return s.scalar(select(Rating).where(Rating.order_id == order.id))


def may_rate(actor: Actor, order: Order) -> bool:
    """Whether the order page offers `actor` the rating form."""
    if order.buyer_org_id != actor.org_id:
        return False
    with unit_of_work() as s:
        return was_delivered(s, order) and not s.scalar(select(exists().where(Rating.order_id == order.id)))


def reply(actor: Actor, factory_id: uuid.UUID, rating_id: uuid.UUID, body: str) -> RatingSubject:
    """A rated factory's one public reply to a rating (by a member of the factory's organization)."""
    body = body.strip()
    if not body:
        raise _refuse(errors.Invalid, "reply.empty", "a reply cannot be empty", field="body")
    if len(body) > MAX_REPLY:
        raise _refuse(errors.Invalid, "reply.too_long", f"a reply has at most {MAX_REPLY} characters, got {len(body)}",
                      field="body")
    with unit_of_work() as s:
        write_lock(s)
        # the factory first, among the actor's own (as every factory-scoped action: 404 for others')
        factory = s.scalar(select(Factory).where(Factory.public_id == factory_id, own_factories(actor)))
        rating = s.scalar(select(Rating).where(Rating.public_id == rating_id))
        if factory is None or rating is None:
            raise errors.NotFound(f"factory {factory_id} or rating {rating_id} not found")
        subject = s.scalar(select(RatingSubject).where(RatingSubject.rating_id == rating.id,
                                                       RatingSubject.factory_id == factory.id)
                           .with_for_update(of=RatingSubject))
        if subject is None or factory.organization_id != actor.org_id:  # the operator does not answer for a factory
            raise _refuse(errors.Forbidden, "reply.not_rated_factory", "only a factory this rating rates may reply")
        if subject.reply is not None:
            raise _refuse(errors.Conflict, "reply.already_replied", "your factory has already replied to this rating")
        subject.reply, subject.replied_at, subject.reply_salt = body, utcnow(), new_salt()
        s.flush()
        subject.reply_ledger_index = record(s, ev.rating_replied(rating, subject, subject.factory))[0].index
        s.commit()
        return subject


# --- what everyone reads on a factory's profile -------------------------------------------------

@dataclass(frozen=True)
class PublicRating:
    id: uuid.UUID
    stars: int
    comment: str
    buyer_name: str | None  # None: the buyer chose to stay anonymous
    created_at: datetime
    reply: str | None
    replied_at: datetime | None
    ledger_index: int | None


@dataclass(frozen=True)
class RatingSummary:
    count: int
    average: float | None  # the plain mean of the stars
    smoothed: float  # the Bayesian average the score uses (market/credit/quality_score.py)
    quality: float  # the supplier quality in [0, 1] that search and the solver use


def _factory(s: Session, factory_id: uuid.UUID) -> Factory:
    factory = s.scalar(select(Factory).where(Factory.public_id == factory_id))
    if factory is None:
        raise errors.NotFound(f"factory {factory_id} not found")
    return factory


def public_ratings(factory_id: uuid.UUID, page: int = 1, per_page: int = 20,
                   cursor: str | None = None) -> Page[PublicRating]:
    with unit_of_work() as s:
        factory = _factory(s, factory_id)
        stmt = (select(Rating, RatingSubject).join(RatingSubject, RatingSubject.rating_id == Rating.id)
                .where(RatingSubject.factory_id == factory.id))
        result = paginate(s, stmt, page, per_page, scalars=False, cursor=cursor,
                          order=Keys.of(Rating.created_at.desc(), Rating.id.desc()),
                          key_of=lambda row: (row[0].created_at, row[0].id))
        result.items = [PublicRating(r.public_id, r.stars, r.comment, r.buyer.name if r.show_buyer_name else None,
                                     r.created_at, sub.reply, sub.replied_at, r.ledger_index)
                        for r, sub in result.items]
        return result


def summary(factory_id: uuid.UUID) -> RatingSummary:
    with unit_of_work() as s:
        factory = _factory(s, factory_id)
        count, total = quality.rating_counts(s, factory.id)
        return RatingSummary(count, total / count if count else None, bayesian(total, count, PRIOR_STARS, PRIOR_WEIGHT),
                             quality_of(s, [factory.id])[factory.id])


def stars_histogram(factory_id: uuid.UUID) -> dict[int, int]:
    with unit_of_work() as s:
        factory = _factory(s, factory_id)
        rows = s.execute(select(Rating.stars, func.count()).join(RatingSubject, RatingSubject.rating_id == Rating.id)
                         .where(RatingSubject.factory_id == factory.id).group_by(Rating.stars)).all()
        return {n: 0 for n in range(1, 6)} | {int(k): int(v) for k, v in rows}
