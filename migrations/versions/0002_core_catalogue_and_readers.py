"""Core catalogue and readers: records, items, accession entries, barcode sequences, patrons.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 21:50:11.071925

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('barcode_sequences',
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('prefix', name=op.f('pk_barcode_sequences'))
    )
    op.create_table('records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('control_number', sa.String(length=64), nullable=True),
    sa.Column('isbn', sa.String(length=20), nullable=True),
    sa.Column('issn', sa.String(length=12), nullable=True),
    sa.Column('title', sa.String(length=1000), nullable=False),
    sa.Column('title_sort', sa.String(length=600).with_variant(sa.String(length=600, collation='C'), 'postgresql'), nullable=False),
    sa.Column('responsibility', sa.String(length=1000), nullable=False),
    sa.Column('authors', sa.Text(), nullable=False),
    sa.Column('publisher', sa.String(length=500), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=False),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('edition', sa.String(length=300), nullable=False),
    sa.Column('language', sa.String(length=3), nullable=False),
    sa.Column('classification', sa.String(length=60), nullable=False),
    sa.Column('call_number', sa.String(length=120), nullable=False),
    sa.Column('subjects', sa.Text(), nullable=False),
    sa.Column('physical', sa.String(length=500), nullable=False),
    sa.Column('material_type', sa.Enum('book', 'serial', 'manuscript', 'music', 'map', 'video', 'audio', 'image', 'electronic', 'kit', 'object', 'mixed', name='materialtype', native_enum=False, length=32), nullable=False),
    sa.Column('marc', sa.Text(), nullable=False),
    sa.Column('needs_reindex', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_records')),
    sa.UniqueConstraint('control_number', name=op.f('uq_records_control_number'))
    )
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_records_isbn'), ['isbn'], unique=False)
        batch_op.create_index(batch_op.f('ix_records_issn'), ['issn'], unique=False)
        batch_op.create_index(batch_op.f('ix_records_language'), ['language'], unique=False)
        batch_op.create_index(batch_op.f('ix_records_material_type'), ['material_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_records_needs_reindex'), ['needs_reindex'], unique=False)
        batch_op.create_index(batch_op.f('ix_records_title_sort'), ['title_sort'], unique=False)
        batch_op.create_index(batch_op.f('ix_records_updated_at'), ['updated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_records_year'), ['year'], unique=False)

    op.create_table('items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('barcode', sa.String(length=40), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('location_institution_id', sa.Integer(), nullable=True),
    sa.Column('shelf', sa.String(length=120), nullable=False),
    sa.Column('call_number', sa.String(length=120), nullable=False),
    sa.Column('status', sa.Enum('available', 'on_loan', 'in_transit', 'on_hold_shelf', 'in_rotation', 'processing', 'damaged', 'missing', 'lost', 'withdrawn', name='itemstatus', native_enum=False, length=32), nullable=False),
    sa.Column('accessioned', sa.Date(), nullable=False),
    sa.Column('source', sa.Enum('purchase', 'donation', 'legal_deposit', 'exchange', 'transfer', name='acquisitionsource', native_enum=False, length=32), nullable=False),
    sa.Column('price', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('withdrawn_on', sa.Date(), nullable=True),
    sa.Column('withdrawal_reason', sa.Enum('lost', 'worn', 'discarded', name='withdrawalreason', native_enum=False, length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_items_institution_id_institutions')),
    sa.ForeignKeyConstraint(['location_institution_id'], ['institutions.id'], name=op.f('fk_items_location_institution_id_institutions')),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], name=op.f('fk_items_record_id_records')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_items')),
    sa.UniqueConstraint('barcode', name=op.f('uq_items_barcode'))
    )
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_items_accessioned'), ['accessioned'], unique=False)
        batch_op.create_index(batch_op.f('ix_items_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_items_location_institution_id'), ['location_institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_items_record_id'), ['record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_items_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_items_withdrawn_on'), ['withdrawn_on'], unique=False)

    op.create_table('patrons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('barcode', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_folded', sa.String(length=200), nullable=False),
    sa.Column('name_sort', sa.String(length=400).with_variant(sa.String(length=400, collation='C'), 'postgresql'), nullable=False),
    sa.Column('category', sa.Enum('adult', 'student', 'child', 'staff', name='patroncategory', native_enum=False, length=32), nullable=False),
    sa.Column('ethnicity', sa.String(length=2), nullable=True),
    sa.Column('sex', sa.Enum('F', 'M', name='sex', native_enum=False), nullable=True),
    sa.Column('birth_year', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('card_issued', sa.Date(), nullable=True),
    sa.Column('card_expires', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_patrons_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrons')),
    sa.UniqueConstraint('barcode', name=op.f('uq_patrons_barcode'))
    )
    with op.batch_alter_table('patrons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patrons_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_patrons_name_folded'), ['name_folded'], unique=False)
        batch_op.create_index(batch_op.f('ix_patrons_name_sort'), ['name_sort'], unique=False)

    op.create_table('accessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('source', sa.Enum('purchase', 'donation', 'legal_deposit', 'exchange', 'transfer', name='acquisitionsource', native_enum=False, length=32), nullable=False),
    sa.Column('price', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_accessions_institution_id_institutions')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_accessions_item_id_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accessions'))
    )
    with op.batch_alter_table('accessions', schema=None) as batch_op:
        batch_op.create_index('ix_accessions_institution_date', ['institution_id', 'date'], unique=False)
        batch_op.create_index(batch_op.f('ix_accessions_item_id'), ['item_id'], unique=False)




def downgrade():

    with op.batch_alter_table('accessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accessions_item_id'))
        batch_op.drop_index('ix_accessions_institution_date')

    op.drop_table('accessions')
    with op.batch_alter_table('patrons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patrons_name_sort'))
        batch_op.drop_index(batch_op.f('ix_patrons_name_folded'))
        batch_op.drop_index(batch_op.f('ix_patrons_institution_id'))

    op.drop_table('patrons')
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_items_withdrawn_on'))
        batch_op.drop_index(batch_op.f('ix_items_status'))
        batch_op.drop_index(batch_op.f('ix_items_record_id'))
        batch_op.drop_index(batch_op.f('ix_items_location_institution_id'))
        batch_op.drop_index(batch_op.f('ix_items_institution_id'))
        batch_op.drop_index(batch_op.f('ix_items_accessioned'))

    op.drop_table('items')
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_records_year'))
        batch_op.drop_index(batch_op.f('ix_records_updated_at'))
        batch_op.drop_index(batch_op.f('ix_records_title_sort'))
        batch_op.drop_index(batch_op.f('ix_records_needs_reindex'))
        batch_op.drop_index(batch_op.f('ix_records_material_type'))
        batch_op.drop_index(batch_op.f('ix_records_language'))
        batch_op.drop_index(batch_op.f('ix_records_issn'))
        batch_op.drop_index(batch_op.f('ix_records_isbn'))

    op.drop_table('records')
    op.drop_table('barcode_sequences')

