"""credit: the ledger entry of each order state change (cancellations as a credit feature);
'monitored' in the access log (a lender's alerts)

Revision ID: 0009_credit_more
Revises: 0008_payments
"""
import json
import uuid

from alembic import op
import sqlalchemy as sa


revision = '0009_credit_more'
down_revision = "0008_payments"
branch_labels = None
depends_on = None

ACTIONS = ('granted', 'revoked', 'report_issued', 'report_viewed', 'report_pdf', 'evidence_downloaded',
           'application_reviewed', 'refused')


def upgrade() -> None:
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ledger_index', sa.BigInteger(), nullable=True))
    _backfill_cancellations()
    with op.batch_alter_table('credit_access_log', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_credit_access_log_action'), type_='check')
        batch_op.create_check_constraint(op.f('ck_credit_access_log_action'), sa.text(f"action IN {ACTIONS + ('monitored',)}"))


def _backfill_cancellations() -> None:
    """Cancellations made before this revision: find their order.state_changed entries
    (one pass over the ledger; an order is cancelled at most once)."""
    conn = op.get_bind()
    if not conn.execute(sa.text("SELECT 1 FROM order_events WHERE to_state = 'cancelled' LIMIT 1")).first():
        return
    found = {}
    for idx, raw in conn.execute(sa.text("SELECT idx, entry FROM ledger_entries ORDER BY idx")):
        if b'"order.state_changed"' not in bytes(raw):
            continue
        event = json.loads(bytes(raw))["event"]
        if event.get("type") == "order.state_changed" and event.get("data", {}).get("to") == "cancelled":
            found[event.get("what", {}).get("order")] = idx
    orders = conn.execute(sa.text("SELECT o.id, o.public_id FROM orders o JOIN order_events e ON e.order_id = o.id "
                                  "WHERE e.to_state = 'cancelled'")).all()
    for order_id, public_id in orders:
        key = str(uuid.UUID(str(public_id)))  # SQLite keeps 32 hex digits, PostgreSQL a uuid
        if key in found:
            conn.execute(sa.text("UPDATE order_events SET ledger_index = :i WHERE order_id = :o AND to_state = 'cancelled'"),
                         {"i": found[key], "o": order_id})


def downgrade() -> None:
    op.execute("DELETE FROM credit_access_log WHERE action = 'monitored'")
    with op.batch_alter_table('credit_access_log', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_credit_access_log_action'), type_='check')
        batch_op.create_check_constraint(op.f('ck_credit_access_log_action'), sa.text(f"action IN {ACTIONS}"))
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.drop_column('ledger_index')
