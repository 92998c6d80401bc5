"""Catalogue: background MARC imports with their reports; record fingerprints; record ids never reused.

Revision ID: 0003
Revises: 0010
Create Date: 2026-11-24 22:35:51.006946

"""
import hashlib

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('catalog_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=255), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('with_items', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'done', 'failed', name='importstatus', native_enum=False, length=32), nullable=False),
    sa.Column('bytes_done', sa.Integer(), nullable=False),
    sa.Column('read', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('repeated', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('warnings', sa.Integer(), nullable=False),
    sa.Column('copies_created', sa.Integer(), nullable=False),
    sa.Column('copies_skipped', sa.Integer(), nullable=False),
    sa.Column('problems', sa.Text(), nullable=False),
    sa.Column('message', sa.String(length=1000), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_catalog_imports_institution_id_institutions')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_catalog_imports_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_imports'))
    )
    with op.batch_alter_table('catalog_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_imports_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalog_imports_user_id'), ['user_id'], unique=False)

    # AUTOINCREMENT: SQLite would otherwise give a deleted record's id to the next record, and a search
    # index entry or a harvester's identifier could point at another title. Other databases use sequences
    # (and a table that others reference cannot be rebuilt there anyway).
    with _records_table(autoincrement=True) as batch_op:
        batch_op.add_column(sa.Column('fingerprint', sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f('ix_records_fingerprint'), ['fingerprint'], unique=False)

    records = sa.table('records', sa.column('id', sa.Integer), sa.column('marc', sa.Text),
                       sa.column('fingerprint', sa.String))
    connection = op.get_bind()
    for record_id, text in connection.execute(sa.select(records.c.id, records.c.marc)).all():
        connection.execute(records.update().where(records.c.id == record_id)
                           .values(fingerprint=hashlib.sha1(text.encode('utf-8')).hexdigest()))


def _records_table(autoincrement):
    if op.get_bind().dialect.name == 'sqlite':
        return op.batch_alter_table('records', schema=None, recreate='always',
                                    table_kwargs={'sqlite_autoincrement': autoincrement})
    return op.batch_alter_table('records', schema=None)


def downgrade():
    with _records_table(autoincrement=False) as batch_op:
        batch_op.drop_index(batch_op.f('ix_records_fingerprint'))
        batch_op.drop_column('fingerprint')

    with op.batch_alter_table('catalog_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_imports_user_id'))
        batch_op.drop_index(batch_op.f('ix_catalog_imports_created_at'))

    op.drop_table('catalog_imports')
