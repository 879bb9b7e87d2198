"""What credit does when a lower domain tells it something (market/bus.py): it keeps the
stored supplier quality (market/credit/quality.py) in step with the facts behind it. After
commit: the score reads the committed deliveries, QC records and disputes, and a slow
recomputation must not hold up the order's own transaction."""
from __future__ import annotations

from market import bus
from market.credit import financing, quality
from market.credit.ratings import rated_factories
from market.db import unit_of_work, utcnow
from market.orders.domain_events import OrderMoving
from market.orders.models import Order
from market.payments.domain_events import AssigneePaid
from market.production.domain_events import QcFailed

# the moves that change a scorecard's counts: a delivery (on time or late), a dispute and its end
SCORED_MOVES = ("delivered", "disputed", "closed")


def register(b: bus.MessageBus) -> None:
    b.after_commit(OrderMoving, rescore_after_move)
    b.after_commit(QcFailed, rescore_after_qc_failure)
    # in the payment's transaction: the instalment is paid exactly when the lender is
    b.in_unit_of_work(AssigneePaid, instalment_repaid_from_payout)


def instalment_repaid_from_payout(s, event: AssigneePaid) -> None:
    if event.state == "settled":
        financing.repaid_from_payout(s, event.reference)


def rescore_after_move(event: OrderMoving) -> None:
    if event.to_state not in SCORED_MOVES:
        return
    with unit_of_work() as s:
        order = s.get(Order, event.order_id)
        quality.refresh(s, [f.id for f in rated_factories(s, order)], utcnow())
        s.commit()


def rescore_after_qc_failure(event: QcFailed) -> None:
    with unit_of_work() as s:
        quality.refresh(s, [event.factory_id], utcnow())
        s.commit()
