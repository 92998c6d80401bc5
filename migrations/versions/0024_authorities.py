"""Authority control: authority records and the links of bibliographic headings to them.

Revision ID: 0024
Revises: 0014

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('authorities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('control_number', sa.String(length=64), nullable=True),
    sa.Column('heading_type', sa.String(length=3), nullable=False),
    sa.Column('heading', sa.String(length=1000), nullable=False),
    sa.Column('heading_sort', sa.String(length=600).with_variant(sa.String(length=600, collation='C'), 'postgresql'),
              nullable=False),
    sa.Column('folded', sa.String(length=1000), nullable=False),
    sa.Column('variants', sa.Text(), nullable=False),
    sa.Column('marc', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_authorities')),
    sa.UniqueConstraint('control_number', name=op.f('uq_authorities_control_number'))
    )
    with op.batch_alter_table('authorities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_authorities_heading_type'), ['heading_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_authorities_heading_sort'), ['heading_sort'], unique=False)
        batch_op.create_index(batch_op.f('ix_authorities_folded'), ['folded'], unique=False)
    op.create_table('record_headings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=3), nullable=False),
    sa.Column('occurrence', sa.Integer(), nullable=False),
    sa.Column('heading', sa.String(length=1000), nullable=False),
    sa.Column('folded', sa.String(length=1000), nullable=False),
    sa.Column('authority_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], name=op.f('fk_record_headings_record_id_records'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['authority_id'], ['authorities.id'],
                            name=op.f('fk_record_headings_authority_id_authorities'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_headings'))
    )
    with op.batch_alter_table('record_headings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_headings_record_id'), ['record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_headings_folded'), ['folded'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_headings_authority_id'), ['authority_id'], unique=False)


def downgrade():
    with op.batch_alter_table('record_headings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_headings_authority_id'))
        batch_op.drop_index(batch_op.f('ix_record_headings_folded'))
        batch_op.drop_index(batch_op.f('ix_record_headings_record_id'))
    op.drop_table('record_headings')
    with op.batch_alter_table('authorities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_authorities_folded'))
        batch_op.drop_index(batch_op.f('ix_authorities_heading_sort'))
        batch_op.drop_index(batch_op.f('ix_authorities_heading_type'))
    op.drop_table('authorities')
