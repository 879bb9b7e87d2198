"""bid expiry: a live bid whose validity ended becomes 'expired' (a bid status and a step kind)

Revision ID: 0027_bid_expiry
Revises: 0026_ratings

The lead re-chains this at merge.
"""
from alembic import op


revision = '0027_bid_expiry'
down_revision = '0026_ratings'
branch_labels = None
depends_on = None

OLD_STATUSES = "('open', 'countered', 'withdrawn', 'declined', 'accepted', 'lost', 'closed')"
NEW_STATUSES = "('open', 'countered', 'withdrawn', 'declined', 'accepted', 'lost', 'closed', 'expired')"
OLD_KINDS = ("('submitted', 'revised', 'withdrawn', 'countered', 'counter_accepted', 'counter_rejected', "
             "'declined', 'accepted', 'lost', 'closed')")
NEW_KINDS = ("('submitted', 'revised', 'withdrawn', 'countered', 'counter_accepted', 'counter_rejected', "
             "'declined', 'accepted', 'lost', 'closed', 'expired')")


def _swap(statuses: str, kinds: str) -> None:
    with op.batch_alter_table('bids', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_bids_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_bids_status'), f"status IN {statuses}")
    with op.batch_alter_table('bid_steps', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_bid_steps_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_bid_steps_kind'), f"kind IN {kinds}")


def upgrade() -> None:
    _swap(NEW_STATUSES, NEW_KINDS)


def downgrade() -> None:
    op.execute("UPDATE bids SET status = 'closed' WHERE status = 'expired'")
    op.execute("UPDATE bid_steps SET kind = 'closed' WHERE kind = 'expired'")
    _swap(OLD_STATUSES, OLD_KINDS)
