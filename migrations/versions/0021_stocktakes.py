"""Stocktakes (kiểm kê): a count of an institution's shelves and the barcodes expected and scanned in it.

Revision ID: 0021
Revises: 0013

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stocktakes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('location', sa.String(length=120), nullable=False),
    sa.Column('shelf_from', sa.String(length=120), nullable=False),
    sa.Column('shelf_to', sa.String(length=120), nullable=False),
    sa.Column('call_from', sa.String(length=120), nullable=False),
    sa.Column('call_to', sa.String(length=120), nullable=False),
    sa.Column('status', sa.Enum('open', 'paused', 'closed', name='stocktakestatus', native_enum=False, length=32), nullable=False),
    sa.Column('expected_count', sa.Integer(), nullable=False),
    sa.Column('n_not_seen', sa.Integer(), nullable=False),
    sa.Column('n_found', sa.Integer(), nullable=False),
    sa.Column('n_misplaced', sa.Integer(), nullable=False),
    sa.Column('n_other_library', sa.Integer(), nullable=False),
    sa.Column('n_withdrawn', sa.Integer(), nullable=False),
    sa.Column('n_on_loan', sa.Integer(), nullable=False),
    sa.Column('n_away', sa.Integer(), nullable=False),
    sa.Column('n_unknown', sa.Integer(), nullable=False),
    sa.Column('n_twice', sa.Integer(), nullable=False),
    sa.Column('n_scans', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_stocktakes_closed_by_id_users')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_stocktakes_institution_id_institutions')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_stocktakes_opened_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stocktakes'))
    )
    with op.batch_alter_table('stocktakes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stocktakes_institution_id'), ['institution_id'], unique=False)

    op.create_table('stocktake_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stocktake_id', sa.Integer(), nullable=False),
    sa.Column('barcode', sa.String(length=40), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('expected', sa.Boolean(), nullable=False),
    sa.Column('seen_as', sa.Enum('found', 'misplaced', 'other_library', 'withdrawn', 'on_loan', 'away', 'unknown', name='seenas', native_enum=False, length=32), nullable=True),
    sa.Column('scans', sa.Integer(), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(), nullable=True),
    sa.Column('last_seen_at', sa.DateTime(), nullable=True),
    sa.Column('first_seen_by_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['first_seen_by_id'], ['users.id'], name=op.f('fk_stocktake_entries_first_seen_by_id_users')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_stocktake_entries_item_id_items')),
    sa.ForeignKeyConstraint(['stocktake_id'], ['stocktakes.id'], name=op.f('fk_stocktake_entries_stocktake_id_stocktakes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stocktake_entries')),
    sa.UniqueConstraint('stocktake_id', 'barcode', name=op.f('uq_stocktake_entries_stocktake_id_barcode'))
    )
    with op.batch_alter_table('stocktake_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stocktake_entries_item_id'), ['item_id'], unique=False)
        batch_op.create_index('ix_stocktake_entries_stocktake_seen', ['stocktake_id', 'seen_as', 'scans'], unique=False)



def downgrade():
    with op.batch_alter_table('stocktake_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_stocktake_entries_stocktake_seen')
        batch_op.drop_index(batch_op.f('ix_stocktake_entries_item_id'))

    op.drop_table('stocktake_entries')
    with op.batch_alter_table('stocktakes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stocktakes_institution_id'))

    op.drop_table('stocktakes')
