"""calendar exceptions: factory closures, and whether China's public holidays apply

Revision ID: 0034_calendar_exceptions
Revises: 0033_token_generation

"""
from alembic import op
import sqlalchemy as sa


revision = '0034_calendar_exceptions'
down_revision = '0033_token_generation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('telemetry_calendar_closures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.Column('factory_id', sa.Integer(), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('last_day >= first_day', name=op.f('ck_telemetry_calendar_closures_days_in_order')),
    sa.ForeignKeyConstraint(['factory_id'], ['factories.id'], name=op.f('fk_telemetry_calendar_closures_factory_id_factories')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telemetry_calendar_closures')),
    sa.UniqueConstraint('public_id', name=op.f('uq_telemetry_calendar_closures_public_id'))
    )
    op.create_index('ix_telemetry_calendar_closures_factory_days', 'telemetry_calendar_closures',
                    ['factory_id', 'first_day'], unique=False)
    with op.batch_alter_table('telemetry_shift_calendars') as batch_op:
        batch_op.add_column(sa.Column('public_holidays', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('telemetry_shift_calendars') as batch_op:
        batch_op.drop_column('public_holidays')
    op.drop_index('ix_telemetry_calendar_closures_factory_days', table_name='telemetry_calendar_closures')
    op.drop_table('telemetry_calendar_closures')
