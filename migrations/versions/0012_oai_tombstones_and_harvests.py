"""OAI-PMH: tombstones of deleted records, and the records harvested from other providers.

Revision ID: 0012
Revises: 0011

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('oai_tombstones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('control_number', sa.String(length=64), nullable=True),
    sa.Column('set_specs', sa.Text(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oai_tombstones')),
    sa.UniqueConstraint('record_id', name=op.f('uq_oai_tombstones_record_id'))
    )
    with op.batch_alter_table('oai_tombstones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oai_tombstones_deleted_at'), ['deleted_at'], unique=False)

    op.create_table('oai_harvested_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=500), nullable=False),
    sa.Column('identifier', sa.String(length=500), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('created', sa.Boolean(), nullable=False),
    sa.Column('datestamp', sa.String(length=20), nullable=False),
    sa.Column('harvested_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], name=op.f('fk_oai_harvested_records_record_id_records'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oai_harvested_records')),
    sa.UniqueConstraint('source', 'identifier', name=op.f('uq_oai_harvested_records_source_identifier'))
    )
    with op.batch_alter_table('oai_harvested_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oai_harvested_records_record_id'), ['record_id'], unique=False)


def downgrade():
    with op.batch_alter_table('oai_harvested_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oai_harvested_records_record_id'))
    op.drop_table('oai_harvested_records')
    with op.batch_alter_table('oai_tombstones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oai_tombstones_deleted_at'))
    op.drop_table('oai_tombstones')
