"""The demo world shows what a newcomer running `market up` should find of supply-chain
collaboration: a bill-of-materials order on the board with a factory's bid and the buyer's
counter-offer, and an accepted order one of whose operations its factory subcontracted."""
import time

from sqlalchemy import func, select


def test_the_demo_has_a_bom_order_with_a_countered_bid_and_a_subcontracted_operation(app):
    from market.bidding.models import Bid, BidStep
    from market.db import unit_of_work
    from market.demo import seed
    from market.orders.models import Order

    with app.app_context():
        started = time.monotonic()
        seed.seed_world(history_days=1)
        took = time.monotonic() - started
        with unit_of_work() as s:
            bom = s.scalar(select(Order).where(Order.part_number == seed.BOM_ORDER["part_number"]))
            assert bom.state == "open" and [c.name for c in bom.components] == ["shell", "clip"]
            assert bom.waits_for[2] == (1, 2)  # the assembly waits for both components
            (bid,) = s.scalars(select(Bid).where(Bid.order_id == bom.id))
            assert bid.status == "countered" and bid.counter_price_minor == 3_900_000
            assert [st.kind for st in s.scalars(select(BidStep).where(BidStep.bid_id == bid.id).order_by(BidStep.id))] \
                == ["submitted", "countered"]
            (sub,) = s.scalars(select(Order).where(Order.parent_order_id.is_not(None)))
            parent = s.get(Order, sub.parent_order_id)
            assert parent.part_number == "RJ-S3" and sub.tier == 1
            assert [op.process_code for op in sub.operations] == ["heat_treatment"]
            assert sub.state in ("open", "quoted")  # the solver was asked
            # deterministic: the same world every time (no count depends on the clock)
            assert s.scalar(select(func.count(Order.id))) == len(seed.ORDERS) + 2
    print(f"seed_world(history_days=1) took {took:.1f} s")
