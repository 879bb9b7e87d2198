"""mail queue: outbox_emails becomes the delivery queue (status, attempts, next attempt,
last error, Message-ID, language, HTML part); rows already there stay deliverable

Revision ID: 0018_mail
Revises: 0017_outbox
"""
from alembic import op
import sqlalchemy as sa


revision = '0018_mail'
down_revision = '0017_outbox'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('html_body', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=False, server_default='en'))
        batch_op.add_column(sa.Column('message_id', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('status', sa.String(length=16), nullable=False, server_default='pending'))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_error', sa.Text(), nullable=True))
    # a row some operator already passed on by hand (sent_at set) is not sent again; every
    # other row is due now (its Message-ID is made when it is sent, see delivery.py)
    op.execute("UPDATE outbox_emails SET status = 'sent' WHERE sent_at IS NOT NULL")
    op.execute("UPDATE outbox_emails SET next_attempt_at = created_at")
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.alter_column('next_attempt_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_index('ix_outbox_emails_due', ['status', 'next_attempt_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_emails_due')
        batch_op.drop_column('last_error')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('attempts')
        batch_op.drop_column('status')
        batch_op.drop_column('message_id')
        batch_op.drop_column('language')
        batch_op.drop_column('html_body')
