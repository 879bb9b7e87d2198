"""credit: a report below the minimum of evidence has no score, PD or grade

Revision ID: 0012_credit
Revises: 0011_security_events
"""
from alembic import op
import sqlalchemy as sa


revision = '0012_credit'
down_revision = '0011_security_events'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('credit_reports', schema=None) as batch_op:
        batch_op.alter_column('score', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('pd_ppm', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('grade', existing_type=sa.String(length=4), nullable=True)


def downgrade() -> None:
    # the older schema cannot say "not rated": such reports read as score 0, PD 100 %, grade NR
    op.execute("UPDATE credit_reports SET score = 0 WHERE score IS NULL")
    op.execute("UPDATE credit_reports SET pd_ppm = 1000000 WHERE pd_ppm IS NULL")
    op.execute("UPDATE credit_reports SET grade = 'NR' WHERE grade IS NULL")
    with op.batch_alter_table('credit_reports', schema=None) as batch_op:
        batch_op.alter_column('grade', existing_type=sa.String(length=4), nullable=False)
        batch_op.alter_column('pd_ppm', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('score', existing_type=sa.Integer(), nullable=False)
