"""ratings: buyers' ratings of delivered orders, factories' replies, the stored supplier quality

Revision ID: 0026_ratings
Revises: 0025_subcontracting

The lead re-chains this at merge.
"""
from alembic import op
import sqlalchemy as sa


revision = '0026_ratings'
down_revision = '0025_subcontracting'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('supplier_quality',
    sa.Column('factory_id', sa.Integer(), nullable=False),
    sa.Column('permille', sa.SmallInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('permille BETWEEN 0 AND 1000', name=op.f('ck_supplier_quality_permille_range')),
    sa.ForeignKeyConstraint(['factory_id'], ['factories.id'], name=op.f('fk_supplier_quality_factory_id_factories'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('factory_id', name=op.f('pk_supplier_quality'))
    )
    op.create_table('ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('buyer_org_id', sa.Integer(), nullable=False),
    sa.Column('author_user_id', sa.Integer(), nullable=True),
    sa.Column('stars', sa.SmallInteger(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('show_buyer_name', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.Column('ledger_index', sa.BigInteger(), nullable=True),
    sa.CheckConstraint('stars BETWEEN 1 AND 5', name=op.f('ck_ratings_stars_range')),
    sa.ForeignKeyConstraint(['author_user_id'], ['users.id'], name=op.f('fk_ratings_author_user_id_users')),
    sa.ForeignKeyConstraint(['buyer_org_id'], ['organizations.id'], name=op.f('fk_ratings_buyer_org_id_organizations')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_ratings_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ratings')),
    sa.UniqueConstraint('order_id', name=op.f('uq_ratings_order_id')),
    sa.UniqueConstraint('public_id', name=op.f('uq_ratings_public_id'))
    )
    op.create_index(op.f('ix_ratings_buyer_org_id'), 'ratings', ['buyer_org_id'], unique=False)
    op.create_table('rating_subjects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rating_id', sa.Integer(), nullable=False),
    sa.Column('factory_id', sa.Integer(), nullable=False),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reply_salt', sa.String(length=64), nullable=True),
    sa.Column('reply_ledger_index', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['factory_id'], ['factories.id'], name=op.f('fk_rating_subjects_factory_id_factories')),
    sa.ForeignKeyConstraint(['rating_id'], ['ratings.id'], name=op.f('fk_rating_subjects_rating_id_ratings'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_subjects'))
    )
    op.create_index('uq_rating_subjects_rating_factory', 'rating_subjects', ['rating_id', 'factory_id'], unique=True)
    op.create_index('ix_rating_subjects_factory_rating', 'rating_subjects', ['factory_id', 'rating_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_rating_subjects_factory_rating', table_name='rating_subjects')
    op.drop_index('uq_rating_subjects_rating_factory', table_name='rating_subjects')
    op.drop_table('rating_subjects')
    op.drop_index(op.f('ix_ratings_buyer_org_id'), table_name='ratings')
    op.drop_table('ratings')
    op.drop_table('supplier_quality')
