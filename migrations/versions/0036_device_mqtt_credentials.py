"""device MQTT credentials: the broker's hash of a device's token, for Mosquitto's password file

Revision ID: 0036_device_mqtt_credentials
Revises: 0035_region_codes

"""
from alembic import op
import sqlalchemy as sa

revision = '0036_device_mqtt_credentials'
down_revision = '0035_region_codes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('telemetry_devices') as batch:
        batch.add_column(sa.Column('mqtt_password_hash', sa.String(length=160), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('telemetry_devices') as batch:
        batch.drop_column('mqtt_password_hash')
