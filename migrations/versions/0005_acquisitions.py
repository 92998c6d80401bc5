"""Acquisitions and periodicals: vendors and donors, funds, orders and their lines, copies received,
donations, transfers, serial titles, subscriptions, issue check-ins.

Revision ID: 0005
Revises: 0003

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('acq_serials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('title_key', sa.String(length=300), nullable=False),
    sa.Column('issn', sa.String(length=9), nullable=False),
    sa.Column('kind', sa.Enum('newspaper', 'magazine', name='serialkind', native_enum=False, length=32), nullable=False),
    sa.Column('frequency', sa.Enum('daily', 'weekly', 'biweekly', 'monthly', 'quarterly', 'irregular', name='frequency', native_enum=False, length=32), nullable=False),
    sa.Column('publisher', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acq_serials')),
    sa.UniqueConstraint('title_key', name=op.f('uq_acq_serials_title_key'))
    )
    with op.batch_alter_table('acq_serials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acq_serials_issn'), ['issn'], unique=False)

    op.create_table('acq_suppliers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('organisation', 'person', name='partykind', native_enum=False, length=32), nullable=False),
    sa.Column('is_vendor', sa.Boolean(), nullable=False),
    sa.Column('is_donor', sa.Boolean(), nullable=False),
    sa.Column('contact', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acq_suppliers'))
    )
    op.create_table('acq_funds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('state_budget', 'donation', 'project', 'other', name='fundkind', native_enum=False, length=32), nullable=False),
    sa.Column('allocated', sa.BigInteger(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_acq_funds_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acq_funds')),
    sa.UniqueConstraint('institution_id', 'year', 'code', name='uq_acq_funds_code')
    )
    with op.batch_alter_table('acq_funds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acq_funds_institution_id'), ['institution_id'], unique=False)

    op.create_table('acq_issues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('serial_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('issue_date', sa.Date(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_acq_issues_institution_id_institutions')),
    sa.ForeignKeyConstraint(['serial_id'], ['acq_serials.id'], name=op.f('fk_acq_issues_serial_id_acq_serials')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acq_issues')),
    sa.UniqueConstraint('serial_id', 'institution_id', 'issue_date', 'number', name='uq_acq_issues_once')
    )
    with op.batch_alter_table('acq_issues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acq_issues_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_acq_issues_received_on'), ['received_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_acq_issues_serial_id'), ['serial_id'], unique=False)

    op.create_table('acq_donations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('donor_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_acq_donations_created_by_id_users')),
    sa.ForeignKeyConstraint(['donor_id'], ['acq_suppliers.id'], name=op.f('fk_acq_donations_donor_id_acq_suppliers')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_acq_donations_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acq_donations'))
    )
    with op.batch_alter_table('acq_donations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acq_donations_donor_id'), ['donor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_acq_donations_institution_id'), ['institution_id'], unique=False)

    op.create_table('acq_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'sent', 'partly_received', 'received', 'cancelled', name='orderstatus', native_enum=False, length=32), nullable=False),
    sa.Column('ordered_on', sa.Date(), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_acq_orders_created_by_id_users')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_acq_orders_institution_id_institutions')),
    sa.ForeignKeyConstraint(['vendor_id'], ['acq_suppliers.id'], name=op.f('fk_acq_orders_vendor_id_acq_suppliers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acq_orders')),
    sa.UniqueConstraint('number', name=op.f('uq_acq_orders_number'))
    )
    with op.batch_alter_table('acq_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acq_orders_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_acq_orders_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_acq_orders_vendor_id'), ['vendor_id'], unique=False)

    op.create_table('acq_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('serial_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.Column('copies', sa.Integer(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=True),
    sa.Column('price', sa.BigInteger(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['fund_id'], ['acq_funds.id'], name=op.f('fk_acq_subscriptions_fund_id_acq_funds')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_acq_subscriptions_institution_id_institutions')),
    sa.ForeignKeyConstraint(['serial_id'], ['acq_serials.id'], name=op.f('fk_acq_subscriptions_serial_id_acq_serials')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acq_subscriptions'))
    )
    with op.batch_alter_table('acq_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acq_subscriptions_fund_id'), ['fund_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_acq_subscriptions_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index('ix_acq_subscriptions_period', ['institution_id', 'start', 'end'], unique=False)
        batch_op.create_index(batch_op.f('ix_acq_subscriptions_serial_id'), ['serial_id'], unique=False)

    op.create_table('acq_transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_institution_id', sa.Integer(), nullable=False),
    sa.Column('to_institution_id', sa.Integer(), nullable=False),
    sa.Column('transferred_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_acq_transfers_created_by_id_users')),
    sa.ForeignKeyConstraint(['from_institution_id'], ['institutions.id'], name=op.f('fk_acq_transfers_from_institution_id_institutions')),
    sa.ForeignKeyConstraint(['to_institution_id'], ['institutions.id'], name=op.f('fk_acq_transfers_to_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acq_transfers'))
    )
    with op.batch_alter_table('acq_transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acq_transfers_from_institution_id'), ['from_institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_acq_transfers_to_institution_id'), ['to_institution_id'], unique=False)

    op.create_table('acq_order_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.BigInteger(), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['fund_id'], ['acq_funds.id'], name=op.f('fk_acq_order_lines_fund_id_acq_funds')),
    sa.ForeignKeyConstraint(['order_id'], ['acq_orders.id'], name=op.f('fk_acq_order_lines_order_id_acq_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], name=op.f('fk_acq_order_lines_record_id_records')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acq_order_lines'))
    )
    with op.batch_alter_table('acq_order_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acq_order_lines_fund_id'), ['fund_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_acq_order_lines_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_acq_order_lines_record_id'), ['record_id'], unique=False)

    op.create_table('acq_copies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=True),
    sa.Column('donation_id', sa.Integer(), nullable=True),
    sa.Column('transfer_id', sa.Integer(), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('batch', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['donation_id'], ['acq_donations.id'], name=op.f('fk_acq_copies_donation_id_acq_donations')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_acq_copies_item_id_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_line_id'], ['acq_order_lines.id'], name=op.f('fk_acq_copies_order_line_id_acq_order_lines')),
    sa.ForeignKeyConstraint(['transfer_id'], ['acq_transfers.id'], name=op.f('fk_acq_copies_transfer_id_acq_transfers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acq_copies'))
    )
    with op.batch_alter_table('acq_copies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acq_copies_donation_id'), ['donation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_acq_copies_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_acq_copies_order_line_id'), ['order_line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_acq_copies_transfer_id'), ['transfer_id'], unique=False)



def downgrade():
    with op.batch_alter_table('acq_copies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acq_copies_transfer_id'))
        batch_op.drop_index(batch_op.f('ix_acq_copies_order_line_id'))
        batch_op.drop_index(batch_op.f('ix_acq_copies_item_id'))
        batch_op.drop_index(batch_op.f('ix_acq_copies_donation_id'))

    op.drop_table('acq_copies')
    with op.batch_alter_table('acq_order_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acq_order_lines_record_id'))
        batch_op.drop_index(batch_op.f('ix_acq_order_lines_order_id'))
        batch_op.drop_index(batch_op.f('ix_acq_order_lines_fund_id'))

    op.drop_table('acq_order_lines')
    with op.batch_alter_table('acq_transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acq_transfers_to_institution_id'))
        batch_op.drop_index(batch_op.f('ix_acq_transfers_from_institution_id'))

    op.drop_table('acq_transfers')
    with op.batch_alter_table('acq_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acq_subscriptions_serial_id'))
        batch_op.drop_index('ix_acq_subscriptions_period')
        batch_op.drop_index(batch_op.f('ix_acq_subscriptions_institution_id'))
        batch_op.drop_index(batch_op.f('ix_acq_subscriptions_fund_id'))

    op.drop_table('acq_subscriptions')
    with op.batch_alter_table('acq_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acq_orders_vendor_id'))
        batch_op.drop_index(batch_op.f('ix_acq_orders_status'))
        batch_op.drop_index(batch_op.f('ix_acq_orders_institution_id'))

    op.drop_table('acq_orders')
    with op.batch_alter_table('acq_donations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acq_donations_institution_id'))
        batch_op.drop_index(batch_op.f('ix_acq_donations_donor_id'))

    op.drop_table('acq_donations')
    with op.batch_alter_table('acq_issues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acq_issues_serial_id'))
        batch_op.drop_index(batch_op.f('ix_acq_issues_received_on'))
        batch_op.drop_index(batch_op.f('ix_acq_issues_institution_id'))

    op.drop_table('acq_issues')
    with op.batch_alter_table('acq_funds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acq_funds_institution_id'))

    op.drop_table('acq_funds')
    op.drop_table('acq_suppliers')
    with op.batch_alter_table('acq_serials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acq_serials_issn'))

    op.drop_table('acq_serials')
