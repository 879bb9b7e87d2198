"""region codes: factories get a country, a city and the GB/T 2260 code their region resolves to

Revision ID: 0035_region_codes
Revises: 0034_calendar_exceptions

"""
from alembic import op
import sqlalchemy as sa

revision = '0035_region_codes'
down_revision = '0034_calendar_exceptions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('factories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('country', sa.String(length=2), server_default='CN', nullable=False))
        batch_op.add_column(sa.Column('city', sa.String(length=100), server_default='', nullable=False))
        batch_op.add_column(sa.Column('region_code', sa.String(length=6), nullable=True))
        batch_op.create_index(batch_op.f('ix_factories_region_code'), ['region_code'], unique=False)
    backfill(op.get_bind())


def backfill(bind) -> None:
    """Every factory so far is in China (the only country the portal offered). The resolver of
    this release reads the free text; a region it cannot place (unknown, or "Suzhou" with
    nothing saying which) keeps no code and still matches by its text until it is edited."""
    from market.regions.resolve import Unresolved, resolve_place

    factories = sa.table('factories', sa.column('id', sa.Integer), sa.column('name', sa.String),
                         sa.column('address', sa.String), sa.column('region', sa.String),
                         sa.column('region_code', sa.String))
    for fid, name, address, region in bind.execute(sa.select(factories.c.id, factories.c.name, factories.c.address,
                                                             factories.c.region)).all():
        try:
            code = resolve_place(region, address, name).code
        except Unresolved:
            continue
        bind.execute(factories.update().where(factories.c.id == fid).values(region_code=code))


def downgrade() -> None:
    with op.batch_alter_table('factories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_factories_region_code'))
        batch_op.drop_column('region_code')
        batch_op.drop_column('city')
        batch_op.drop_column('country')
