"""Administrative areas of institutions (district, commune), their go-live date; reports under no plan.

Revision ID: 0014
Revises: 0013

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('areas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('level', sa.String(length=32), nullable=False),
    sa.Column('district_code', sa.String(length=20), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_areas')),
    sa.UniqueConstraint('code', name=op.f('uq_areas_code'))
    )
    with op.batch_alter_table('institutions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('district_code', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('commune_code', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('go_live', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_institutions_district_code'), ['district_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_institutions_commune_code'), ['commune_code'], unique=False)
    # a report of a year no plan covers is filed under no plan
    with op.batch_alter_table('report_snapshots', schema=None) as batch_op:
        batch_op.alter_column('plan_id', existing_type=sa.Integer(), nullable=True)


def downgrade():
    with op.batch_alter_table('report_snapshots', schema=None) as batch_op:
        batch_op.alter_column('plan_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('institutions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_institutions_commune_code'))
        batch_op.drop_index(batch_op.f('ix_institutions_district_code'))
        batch_op.drop_column('go_live')
        batch_op.drop_column('commune_code')
        batch_op.drop_column('district_code')
    op.drop_table('areas')
