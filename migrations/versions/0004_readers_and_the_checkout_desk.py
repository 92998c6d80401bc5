"""Readers and the checkout desk: reader blocks and replaced cards, card numbers, loans (one open loan per
copy, enforced by a partial unique index), renewals, desk visits, tallies, holds, transits, fines, loan rules,
desk settings, closed days.

Revision ID: 0004
Revises: 0008
Create Date: 2026-11-24 22:36:14.822435

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('patron_card_sequences',
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('prefix', name=op.f('pk_patron_card_sequences'))
    )
    op.create_table('circulation_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('closed_weekdays', sa.String(length=7), nullable=False),
    sa.Column('hold_pickup_days', sa.Integer(), nullable=False),
    sa.Column('overdue_block_days', sa.Integer(), nullable=True),
    sa.Column('fines_enabled', sa.Boolean(), nullable=False),
    sa.Column('fine_per_day', sa.Integer(), nullable=False),
    sa.Column('fine_max', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_circulation_settings_institution_id_institutions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_circulation_settings')),
    sa.UniqueConstraint('institution_id', name=op.f('uq_circulation_settings_institution_id'))
    )
    op.create_table('closed_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_closed_days_institution_id_institutions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_closed_days'))
    )
    with op.batch_alter_table('closed_days', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_closed_days_date'), ['date'], unique=False)
        batch_op.create_index(batch_op.f('ix_closed_days_institution_id'), ['institution_id'], unique=False)

    op.create_table('loan_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=16), nullable=True),
    sa.Column('material_type', sa.String(length=16), nullable=True),
    sa.Column('loan_days', sa.Integer(), nullable=False),
    sa.Column('max_loans', sa.Integer(), nullable=False),
    sa.Column('max_renewals', sa.Integer(), nullable=False),
    sa.Column('holds_allowed', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('loan_days >= 0 AND max_loans >= 0 AND max_renewals >= 0', name=op.f('ck_loan_rules_non_negative')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_loan_rules_institution_id_institutions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_rules'))
    )
    with op.batch_alter_table('loan_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loan_rules_institution_id'), ['institution_id'], unique=False)

    op.create_table('holds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('patron_id', sa.Integer(), nullable=True),
    sa.Column('reader_key', sa.String(length=24), nullable=False),
    sa.Column('pickup_institution_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('waiting', 'in_transit', 'ready', 'fulfilled', 'cancelled', 'expired', name='holdstatus', native_enum=False, length=32), nullable=False),
    sa.Column('placed_at', sa.DateTime(), nullable=False),
    sa.Column('placed_by_id', sa.Integer(), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('ready_at', sa.DateTime(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_holds_item_id_items')),
    sa.ForeignKeyConstraint(['patron_id'], ['patrons.id'], name=op.f('fk_holds_patron_id_patrons'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pickup_institution_id'], ['institutions.id'], name=op.f('fk_holds_pickup_institution_id_institutions')),
    sa.ForeignKeyConstraint(['placed_by_id'], ['users.id'], name=op.f('fk_holds_placed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], name=op.f('fk_holds_record_id_records')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holds'))
    )
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_holds_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_holds_patron_id'), ['patron_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_holds_pickup_institution_id'), ['pickup_institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_holds_record_id'), ['record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_holds_status'), ['status'], unique=False)

    op.create_table('patron_blocks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patron_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('lost_card', 'overdue', 'manual', name='blockkind', native_enum=False, length=32), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('lifted_at', sa.DateTime(), nullable=True),
    sa.Column('lifted_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_patron_blocks_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lifted_by_id'], ['users.id'], name=op.f('fk_patron_blocks_lifted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['patron_id'], ['patrons.id'], name=op.f('fk_patron_blocks_patron_id_patrons'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patron_blocks'))
    )
    with op.batch_alter_table('patron_blocks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patron_blocks_patron_id'), ['patron_id'], unique=False)

    op.create_table('patron_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patron_id', sa.Integer(), nullable=False),
    sa.Column('barcode', sa.String(length=40), nullable=False),
    sa.Column('replaced_at', sa.DateTime(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['patron_id'], ['patrons.id'], name=op.f('fk_patron_cards_patron_id_patrons'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patron_cards')),
    sa.UniqueConstraint('barcode', name=op.f('uq_patron_cards_barcode'))
    )
    with op.batch_alter_table('patron_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patron_cards_patron_id'), ['patron_id'], unique=False)

    op.create_table('tallies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('kind', sa.Enum('visits', 'loans', name='tallykind', native_enum=False, length=32), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('count >= 0', name=op.f('ck_tallies_count_not_negative')),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_tallies_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_tallies_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tallies'))
    )
    with op.batch_alter_table('tallies', schema=None) as batch_op:
        batch_op.create_index('ix_tallies_institution_date', ['institution_id', 'date'], unique=False)

    op.create_table('visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patron_id', sa.Integer(), nullable=True),
    sa.Column('reader_key', sa.String(length=24), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('voided_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_visits_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_visits_institution_id_institutions')),
    sa.ForeignKeyConstraint(['patron_id'], ['patrons.id'], name=op.f('fk_visits_patron_id_patrons'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits'))
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index('ix_visits_at', ['at'], unique=False)
        batch_op.create_index('ix_visits_institution_at', ['institution_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_patron_id'), ['patron_id'], unique=False)

    op.create_table('loans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('patron_id', sa.Integer(), nullable=True),
    sa.Column('reader_key', sa.String(length=24), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('checked_out_at', sa.DateTime(), nullable=False),
    sa.Column('checked_out_by_id', sa.Integer(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('renewals', sa.Integer(), nullable=False),
    sa.Column('returned_at', sa.DateTime(), nullable=True),
    sa.Column('return_institution_id', sa.Integer(), nullable=True),
    sa.Column('returned_by_id', sa.Integer(), nullable=True),
    sa.Column('from_rotation', sa.Boolean(), nullable=False),
    sa.Column('hold_id', sa.Integer(), nullable=True),
    sa.Column('reminders_sent', sa.Integer(), nullable=False),
    sa.Column('last_reminder_at', sa.DateTime(), nullable=True),
    sa.Column('voided_at', sa.DateTime(), nullable=True),
    sa.Column('voided_by_id', sa.Integer(), nullable=True),
    sa.Column('void_reason', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['checked_out_by_id'], ['users.id'], name=op.f('fk_loans_checked_out_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['hold_id'], ['holds.id'], name=op.f('fk_loans_hold_id_holds'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_loans_institution_id_institutions')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_loans_item_id_items')),
    sa.ForeignKeyConstraint(['patron_id'], ['patrons.id'], name=op.f('fk_loans_patron_id_patrons'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['return_institution_id'], ['institutions.id'], name=op.f('fk_loans_return_institution_id_institutions')),
    sa.ForeignKeyConstraint(['returned_by_id'], ['users.id'], name=op.f('fk_loans_returned_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['voided_by_id'], ['users.id'], name=op.f('fk_loans_voided_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loans'))
    )
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.create_index('ix_loans_checked_out_at', ['checked_out_at'], unique=False)
        batch_op.create_index('ix_loans_institution_due', ['institution_id', 'returned_at', 'due_date'], unique=False)
        batch_op.create_index('ix_loans_institution_out', ['institution_id', 'checked_out_at'], unique=False)
        batch_op.create_index('ix_loans_item_id', ['item_id'], unique=False)
        batch_op.create_index('ix_loans_patron_open', ['patron_id', 'returned_at'], unique=False)
        batch_op.create_index('ix_loans_return_institution', ['return_institution_id', 'returned_at'], unique=False)
        batch_op.create_index('ix_loans_returned_at', ['returned_at'], unique=False)
        batch_op.create_index('uq_loans_open_item', ['item_id'], unique=True, sqlite_where=sa.text('returned_at IS NULL AND voided_at IS NULL'), postgresql_where=sa.text('returned_at IS NULL AND voided_at IS NULL'))

    op.create_table('transits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('from_institution_id', sa.Integer(), nullable=False),
    sa.Column('to_institution_id', sa.Integer(), nullable=False),
    sa.Column('hold_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=True),
    sa.Column('received_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['from_institution_id'], ['institutions.id'], name=op.f('fk_transits_from_institution_id_institutions')),
    sa.ForeignKeyConstraint(['hold_id'], ['holds.id'], name=op.f('fk_transits_hold_id_holds'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_transits_item_id_items')),
    sa.ForeignKeyConstraint(['received_by_id'], ['users.id'], name=op.f('fk_transits_received_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_transits_sent_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['to_institution_id'], ['institutions.id'], name=op.f('fk_transits_to_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transits'))
    )
    with op.batch_alter_table('transits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transits_from_institution_id'), ['from_institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transits_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transits_to_institution_id'), ['to_institution_id'], unique=False)
        batch_op.create_index('uq_transits_open_item', ['item_id'], unique=True, sqlite_where=sa.text('received_at IS NULL'), postgresql_where=sa.text('received_at IS NULL'))

    op.create_table('fines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.Integer(), nullable=False),
    sa.Column('patron_id', sa.Integer(), nullable=True),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('settled_at', sa.DateTime(), nullable=True),
    sa.Column('settlement', sa.String(length=10), nullable=True),
    sa.Column('settled_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_fines_institution_id_institutions')),
    sa.ForeignKeyConstraint(['loan_id'], ['loans.id'], name=op.f('fk_fines_loan_id_loans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['patron_id'], ['patrons.id'], name=op.f('fk_fines_patron_id_patrons'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['settled_by_id'], ['users.id'], name=op.f('fk_fines_settled_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fines'))
    )
    with op.batch_alter_table('fines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fines_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fines_loan_id'), ['loan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fines_patron_id'), ['patron_id'], unique=False)

    op.create_table('renewals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('previous_due', sa.Date(), nullable=False),
    sa.Column('new_due', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_renewals_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_renewals_institution_id_institutions')),
    sa.ForeignKeyConstraint(['loan_id'], ['loans.id'], name=op.f('fk_renewals_loan_id_loans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_renewals'))
    )
    with op.batch_alter_table('renewals', schema=None) as batch_op:
        batch_op.create_index('ix_renewals_institution_at', ['institution_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_renewals_loan_id'), ['loan_id'], unique=False)



def downgrade():
    with op.batch_alter_table('renewals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_renewals_loan_id'))
        batch_op.drop_index('ix_renewals_institution_at')

    op.drop_table('renewals')
    with op.batch_alter_table('fines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fines_patron_id'))
        batch_op.drop_index(batch_op.f('ix_fines_loan_id'))
        batch_op.drop_index(batch_op.f('ix_fines_institution_id'))

    op.drop_table('fines')
    with op.batch_alter_table('transits', schema=None) as batch_op:
        batch_op.drop_index('uq_transits_open_item', sqlite_where=sa.text('received_at IS NULL'), postgresql_where=sa.text('received_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_transits_to_institution_id'))
        batch_op.drop_index(batch_op.f('ix_transits_item_id'))
        batch_op.drop_index(batch_op.f('ix_transits_from_institution_id'))

    op.drop_table('transits')
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.drop_index('uq_loans_open_item', sqlite_where=sa.text('returned_at IS NULL AND voided_at IS NULL'), postgresql_where=sa.text('returned_at IS NULL AND voided_at IS NULL'))
        batch_op.drop_index('ix_loans_returned_at')
        batch_op.drop_index('ix_loans_return_institution')
        batch_op.drop_index('ix_loans_patron_open')
        batch_op.drop_index('ix_loans_item_id')
        batch_op.drop_index('ix_loans_institution_out')
        batch_op.drop_index('ix_loans_institution_due')
        batch_op.drop_index('ix_loans_checked_out_at')

    op.drop_table('loans')
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visits_patron_id'))
        batch_op.drop_index('ix_visits_institution_at')
        batch_op.drop_index('ix_visits_at')

    op.drop_table('visits')
    with op.batch_alter_table('tallies', schema=None) as batch_op:
        batch_op.drop_index('ix_tallies_institution_date')

    op.drop_table('tallies')
    with op.batch_alter_table('patron_cards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patron_cards_patron_id'))

    op.drop_table('patron_cards')
    with op.batch_alter_table('patron_blocks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patron_blocks_patron_id'))

    op.drop_table('patron_blocks')
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_holds_status'))
        batch_op.drop_index(batch_op.f('ix_holds_record_id'))
        batch_op.drop_index(batch_op.f('ix_holds_pickup_institution_id'))
        batch_op.drop_index(batch_op.f('ix_holds_patron_id'))
        batch_op.drop_index(batch_op.f('ix_holds_item_id'))

    op.drop_table('holds')
    with op.batch_alter_table('loan_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loan_rules_institution_id'))

    op.drop_table('loan_rules')
    with op.batch_alter_table('closed_days', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_closed_days_institution_id'))
        batch_op.drop_index(batch_op.f('ix_closed_days_date'))

    op.drop_table('closed_days')
    op.drop_table('circulation_settings')
    op.drop_table('patron_card_sequences')
