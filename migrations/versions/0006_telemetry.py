"""telemetry: devices, readings, shift calendars, state intervals, daily OEE aggregates, alerts

Revision ID: 0006_telemetry
Revises: 0005_production
Create Date: 2026-11-22 04:49:16.972817
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_telemetry'
down_revision = '0005_production'
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('telemetry_factory_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('factory_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('machines', sa.Integer(), nullable=False),
    sa.Column('planned_s', sa.Integer(), nullable=False),
    sa.Column('run_s', sa.Integer(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('good', sa.BigInteger(), nullable=False),
    sa.Column('ideal_work_ms', sa.BigInteger(), nullable=True),
    sa.Column('ideal_run_s', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('salt', sa.String(length=64), nullable=True),
    sa.Column('committed', sa.JSON(), nullable=True),
    sa.Column('ledger_index', sa.BigInteger(), nullable=True),
    sa.Column('ledger_leaf', sa.String(length=64), nullable=True),
    sa.Column('corrections', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['factory_id'], ['factories.id'], name=op.f('fk_telemetry_factory_days_factory_id_factories')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telemetry_factory_days')),
    sa.UniqueConstraint('factory_id', 'day', name='uq_telemetry_factory_days_factory_day')
    )
    with op.batch_alter_table('telemetry_factory_days', schema=None) as batch_op:
        batch_op.create_index('ix_telemetry_factory_days_ledger', ['ledger_index'], unique=False)

    op.create_table('telemetry_shift_calendars',
    sa.Column('factory_id', sa.Integer(), nullable=False),
    sa.Column('weekly', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['factory_id'], ['factories.id'], name=op.f('fk_telemetry_shift_calendars_factory_id_factories')),
    sa.PrimaryKeyConstraint('factory_id', name=op.f('pk_telemetry_shift_calendars'))
    )
    op.create_table('telemetry_devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.Column('machine_id', sa.Integer(), nullable=False),
    sa.Column('factory_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_telemetry_devices_created_by_id_users')),
    sa.ForeignKeyConstraint(['factory_id'], ['factories.id'], name=op.f('fk_telemetry_devices_factory_id_factories')),
    sa.ForeignKeyConstraint(['machine_id'], ['machines.id'], name=op.f('fk_telemetry_devices_machine_id_machines')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_telemetry_devices_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telemetry_devices')),
    sa.UniqueConstraint('public_id', name=op.f('uq_telemetry_devices_public_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_telemetry_devices_token_hash'))
    )
    with op.batch_alter_table('telemetry_devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_telemetry_devices_factory_id'), ['factory_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_telemetry_devices_machine_id'), ['machine_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_telemetry_devices_organization_id'), ['organization_id'], unique=False)

    op.create_table('telemetry_machine_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('machine_id', sa.Integer(), nullable=False),
    sa.Column('factory_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('planned_s', sa.Integer(), nullable=False),
    sa.Column('run_s', sa.Integer(), nullable=False),
    sa.Column('run_total_s', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.JSON(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('good', sa.BigInteger(), nullable=False),
    sa.Column('ideal_work_ms', sa.BigInteger(), nullable=True),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['factory_id'], ['factories.id'], name=op.f('fk_telemetry_machine_days_factory_id_factories')),
    sa.ForeignKeyConstraint(['machine_id'], ['machines.id'], name=op.f('fk_telemetry_machine_days_machine_id_machines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telemetry_machine_days')),
    sa.UniqueConstraint('machine_id', 'day', name='uq_telemetry_machine_days_machine_day')
    )
    with op.batch_alter_table('telemetry_machine_days', schema=None) as batch_op:
        batch_op.create_index('ix_telemetry_machine_days_factory_day', ['factory_id', 'day'], unique=False)

    op.create_table('telemetry_machine_profiles',
    sa.Column('machine_id', sa.Integer(), nullable=False),
    sa.Column('ideal_cycle_ms', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ideal_cycle_ms > 0', name=op.f('ck_telemetry_machine_profiles_ideal_cycle_positive')),
    sa.ForeignKeyConstraint(['machine_id'], ['machines.id'], name=op.f('fk_telemetry_machine_profiles_machine_id_machines')),
    sa.PrimaryKeyConstraint('machine_id', name=op.f('pk_telemetry_machine_profiles'))
    )
    op.create_table('telemetry_readings',
    sa.Column('machine_id', sa.Integer(), nullable=False),
    sa.Column('ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=True),
    sa.Column('reason', sa.String(length=64), nullable=True),
    sa.Column('total', sa.BigInteger(), nullable=True),
    sa.Column('good', sa.BigInteger(), nullable=True),
    sa.Column('spindle_load', sa.Float(), nullable=True),
    sa.Column('temperature', sa.Float(), nullable=True),
    sa.Column('power_kw', sa.Float(), nullable=True),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['machine_id'], ['machines.id'], name=op.f('fk_telemetry_readings_machine_id_machines')),
    sa.PrimaryKeyConstraint('machine_id', 'ts', name='pk_telemetry_readings')
    )
    op.create_table('telemetry_state_intervals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('machine_id', sa.Integer(), nullable=False),
    sa.Column('factory_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['factory_id'], ['factories.id'], name=op.f('fk_telemetry_state_intervals_factory_id_factories')),
    sa.ForeignKeyConstraint(['machine_id'], ['machines.id'], name=op.f('fk_telemetry_state_intervals_machine_id_machines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telemetry_state_intervals'))
    )
    with op.batch_alter_table('telemetry_state_intervals', schema=None) as batch_op:
        batch_op.create_index('ix_telemetry_state_intervals_factory_start', ['factory_id', 'start_at'], unique=False)
        batch_op.create_index('ix_telemetry_state_intervals_machine_start', ['machine_id', 'start_at'], unique=False)

    op.create_table('telemetry_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.Column('machine_id', sa.Integer(), nullable=False),
    sa.Column('factory_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('window_ids', sa.JSON(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('down', 'stale')", name=op.f('ck_telemetry_alerts_kind')),
    sa.ForeignKeyConstraint(['factory_id'], ['factories.id'], name=op.f('fk_telemetry_alerts_factory_id_factories')),
    sa.ForeignKeyConstraint(['job_id'], ['solve_jobs.id'], name=op.f('fk_telemetry_alerts_job_id_solve_jobs')),
    sa.ForeignKeyConstraint(['machine_id'], ['machines.id'], name=op.f('fk_telemetry_alerts_machine_id_machines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telemetry_alerts')),
    sa.UniqueConstraint('public_id', name=op.f('uq_telemetry_alerts_public_id'))
    )
    with op.batch_alter_table('telemetry_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_telemetry_alerts_factory_id'), ['factory_id'], unique=False)
        batch_op.create_index('ix_telemetry_alerts_machine_open', ['machine_id', 'cleared_at'], unique=False)

    


def downgrade() -> None:
    
    with op.batch_alter_table('telemetry_alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_telemetry_alerts_machine_open')
        batch_op.drop_index(batch_op.f('ix_telemetry_alerts_factory_id'))

    op.drop_table('telemetry_alerts')
    with op.batch_alter_table('telemetry_state_intervals', schema=None) as batch_op:
        batch_op.drop_index('ix_telemetry_state_intervals_machine_start')
        batch_op.drop_index('ix_telemetry_state_intervals_factory_start')

    op.drop_table('telemetry_state_intervals')
    op.drop_table('telemetry_readings')
    op.drop_table('telemetry_machine_profiles')
    with op.batch_alter_table('telemetry_machine_days', schema=None) as batch_op:
        batch_op.drop_index('ix_telemetry_machine_days_factory_day')

    op.drop_table('telemetry_machine_days')
    with op.batch_alter_table('telemetry_devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_telemetry_devices_organization_id'))
        batch_op.drop_index(batch_op.f('ix_telemetry_devices_machine_id'))
        batch_op.drop_index(batch_op.f('ix_telemetry_devices_factory_id'))

    op.drop_table('telemetry_devices')
    op.drop_table('telemetry_shift_calendars')
    with op.batch_alter_table('telemetry_factory_days', schema=None) as batch_op:
        batch_op.drop_index('ix_telemetry_factory_days_ledger')

    op.drop_table('telemetry_factory_days')
    
