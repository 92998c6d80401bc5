"""The PostgreSQL search backend's table: one folded document per record, with a GIN-indexed tsvector.

Created on every database so the schema is one; only the PostgreSQL search
backend (``ILMS_SEARCH_BACKEND=postgres``) fills it. On SQLite the vector is
plain text and the index an ordinary one, on an empty table.

Revision ID: 0013
Revises: 0012

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('catalog_search_docs',
    sa.Column('record_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('author', sa.Text(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('other', sa.Text(), nullable=False),
    sa.Column('isbn', sa.Text(), nullable=False),
    sa.Column('callno', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('material', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('library', sa.Text(), nullable=False),
    sa.Column('available', sa.Text(), nullable=False),
    sa.Column('title_sort', sa.String(length=600).with_variant(sa.String(length=600, collation='C'), 'postgresql'), nullable=False),
    sa.Column('vector', sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('record_id', name=op.f('pk_catalog_search_docs'))
    )
    with op.batch_alter_table('catalog_search_docs', schema=None) as batch_op:
        batch_op.create_index('ix_catalog_search_docs_vector', ['vector'], unique=False, postgresql_using='gin')


def downgrade():
    with op.batch_alter_table('catalog_search_docs', schema=None) as batch_op:
        batch_op.drop_index('ix_catalog_search_docs_vector', postgresql_using='gin')
    op.drop_table('catalog_search_docs')
