"""Institutions' parent, name, kind, level and area kept with the dates they held (issue 25).

Revision ID: 0023
Revises: 0014

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('institution_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('level', sa.String(length=32), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('district_code', sa.String(length=20), nullable=True),
    sa.Column('commune_code', sa.String(length=20), nullable=True),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                            name=op.f('fk_institution_versions_institution_id_institutions')),
    sa.ForeignKeyConstraint(['parent_id'], ['institutions.id'],
                            name=op.f('fk_institution_versions_parent_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_institution_versions'))
    )
    with op.batch_alter_table('institution_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_institution_versions_institution_id'), ['institution_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('institution_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_institution_versions_institution_id'))
    op.drop_table('institution_versions')
