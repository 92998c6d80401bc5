"""Reader accounts in the OPAC (PIN, sessions, throttling, the reader's own reading list) and notices
to readers (the log of what was sent, editable templates); readers get an e-mail address and a choice of
channel.

Revision ID: 0020
Revises: 0013

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reader_login_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('card', sa.String(length=40), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reader_login_failures'))
    )
    with op.batch_alter_table('reader_login_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reader_login_failures_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_reader_login_failures_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reader_login_failures_card'), ['card'], unique=False)

    op.create_table('notice_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('due_soon', 'overdue_1', 'overdue_2', 'hold_ready', name='noticekind', native_enum=False, length=16), nullable=False),
    sa.Column('channel', sa.Enum('email', 'sms', 'letter', name='sendchannel', native_enum=False, length=8), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.String(length=4000), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_notice_templates_institution_id_institutions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_templates')),
    sa.UniqueConstraint('institution_id', 'kind', 'channel', name='uq_notice_templates_place')
    )
    op.create_table('reader_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('patron_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['patron_id'], ['patrons.id'], name=op.f('fk_reader_sessions_patron_id_patrons'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reader_sessions'))
    )
    with op.batch_alter_table('reader_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reader_sessions_patron_id'), ['patron_id'], unique=False)

    op.create_table('reading_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patron_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('borrowed_on', sa.Date(), nullable=False),
    sa.Column('returned_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['patron_id'], ['patrons.id'], name=op.f('fk_reading_history_patron_id_patrons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], name=op.f('fk_reading_history_record_id_records'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reading_history'))
    )
    with op.batch_alter_table('reading_history', schema=None) as batch_op:
        batch_op.create_index('ix_reading_history_patron', ['patron_id', 'returned_on'], unique=False)

    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.Enum('due_soon', 'overdue_1', 'overdue_2', 'hold_ready', name='noticekind', native_enum=False, length=16), nullable=False),
    sa.Column('channel', sa.Enum('email', 'sms', 'letter', name='sendchannel', native_enum=False, length=8), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sending', 'sent', 'failed', 'letter', 'gave_up', name='noticestatus', native_enum=False, length=8), nullable=False),
    sa.Column('patron_id', sa.Integer(), nullable=True),
    sa.Column('loan_id', sa.Integer(), nullable=True),
    sa.Column('hold_id', sa.Integer(), nullable=True),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['hold_id'], ['holds.id'], name=op.f('fk_notices_hold_id_holds'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_notices_institution_id_institutions')),
    sa.ForeignKeyConstraint(['loan_id'], ['loans.id'], name=op.f('fk_notices_loan_id_loans'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['patron_id'], ['patrons.id'], name=op.f('fk_notices_patron_id_patrons'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices')),
    sa.UniqueConstraint('key', name=op.f('uq_notices_key'))
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notices_hold_id'), ['hold_id'], unique=False)
        batch_op.create_index('ix_notices_institution_created', ['institution_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notices_loan_id'), ['loan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notices_patron_id'), ['patron_id'], unique=False)
        batch_op.create_index('ix_notices_status', ['status', 'institution_id'], unique=False)

    with op.batch_alter_table('patrons', schema=None) as batch_op:
        # existing readers: no e-mail, automatic channel, no history kept, no PIN yet
        batch_op.add_column(sa.Column('email', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('notice_channel', sa.Enum('auto', 'email', 'sms', 'letter', name='noticechannel', native_enum=False, length=8), nullable=False, server_default='auto'))
        batch_op.add_column(sa.Column('keep_history', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('pin_hash', sa.String(length=256), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('pin_set_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('patrons', schema=None) as batch_op:
        for name in ('email', 'notice_channel', 'keep_history', 'pin_hash'):
            batch_op.alter_column(name, server_default=None)



def downgrade():
    with op.batch_alter_table('patrons', schema=None) as batch_op:
        batch_op.drop_column('pin_set_at')
        batch_op.drop_column('pin_hash')
        batch_op.drop_column('keep_history')
        batch_op.drop_column('notice_channel')
        batch_op.drop_column('email')

    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index('ix_notices_status')
        batch_op.drop_index(batch_op.f('ix_notices_patron_id'))
        batch_op.drop_index(batch_op.f('ix_notices_loan_id'))
        batch_op.drop_index('ix_notices_institution_created')
        batch_op.drop_index(batch_op.f('ix_notices_hold_id'))

    op.drop_table('notices')
    with op.batch_alter_table('reading_history', schema=None) as batch_op:
        batch_op.drop_index('ix_reading_history_patron')

    op.drop_table('reading_history')
    with op.batch_alter_table('reader_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reader_sessions_patron_id'))

    op.drop_table('reader_sessions')
    op.drop_table('notice_templates')
    with op.batch_alter_table('reader_login_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reader_login_failures_card'))
        batch_op.drop_index(batch_op.f('ix_reader_login_failures_at'))
        batch_op.drop_index(batch_op.f('ix_reader_login_failures_address'))

    op.drop_table('reader_login_failures')
