"""Copy cataloguing: the SRU targets an administrator configures; redirects of merged duplicate records.

Revision ID: 0022
Revises: 0013

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('copy_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('version', sa.String(length=8), nullable=False),
    sa.Column('record_schema', sa.String(length=120), nullable=False),
    sa.Column('encoding', sa.String(length=16), nullable=False),
    sa.Column('timeout', sa.Float(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_copy_targets')),
    sa.UniqueConstraint('name', name=op.f('uq_copy_targets_name'))
    )
    op.create_table('record_redirects',
    sa.Column('old_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('merged_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], name=op.f('fk_record_redirects_record_id_records'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('old_id', name=op.f('pk_record_redirects'))
    )
    with op.batch_alter_table('record_redirects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_redirects_record_id'), ['record_id'], unique=False)


def downgrade():
    with op.batch_alter_table('record_redirects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_redirects_record_id'))
    op.drop_table('record_redirects')
    op.drop_table('copy_targets')
