"""Free internet points: stations, sessions, trainings, connectivity, opening hours

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-24 22:38:24.631827

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('internet_connectivity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('connected', sa.Boolean(), nullable=False),
    sa.Column('link_type', sa.Enum('fibre', 'dsl', 'mobile', 'satellite', 'other', name='linktype', native_enum=False, length=12), nullable=True),
    sa.Column('speed_mbps', sa.Float(), nullable=True),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_internet_connectivity_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_internet_connectivity')),
    sa.UniqueConstraint('institution_id', 'date', name=op.f('uq_internet_connectivity_institution_id_date'))
    )
    op.create_table('internet_opening_hours',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('opens', sa.Time(), nullable=False),
    sa.Column('closes', sa.Time(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_internet_opening_hours_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_internet_opening_hours'))
    )
    with op.batch_alter_table('internet_opening_hours', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_internet_opening_hours_institution_id'), ['institution_id'], unique=False)

    op.create_table('internet_settings',
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('session_limit_minutes', sa.Integer(), nullable=True),
    sa.Column('daily_limit_minutes', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_internet_settings_institution_id_institutions')),
    sa.PrimaryKeyConstraint('institution_id', name=op.f('pk_internet_settings'))
    )
    op.create_table('internet_stations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('in_service_from', sa.Date(), nullable=False),
    sa.Column('in_service_to', sa.Date(), nullable=True),
    sa.Column('training_only', sa.Boolean(), nullable=False),
    sa.Column('out_of_order', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_internet_stations_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_internet_stations')),
    sa.UniqueConstraint('code', name=op.f('uq_internet_stations_code'))
    )
    with op.batch_alter_table('internet_stations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_internet_stations_institution_id'), ['institution_id'], unique=False)

    op.create_table('internet_trainings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('topic', sa.String(length=300), nullable=False),
    sa.Column('trainer', sa.String(length=200), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_internet_trainings_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_internet_trainings'))
    )
    with op.batch_alter_table('internet_trainings', schema=None) as batch_op:
        batch_op.create_index('ix_internet_trainings_institution_date', ['institution_id', 'date'], unique=False)

    op.create_table('internet_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('patron_id', sa.Integer(), nullable=True),
    sa.Column('reader_key', sa.String(length=24), nullable=False),
    sa.Column('is_guest', sa.Boolean(), nullable=False),
    sa.Column('guest_age_band', sa.Enum('under_15', '15_24', '25_44', '45_59', '60_plus', name='ageband', native_enum=False, length=10), nullable=True),
    sa.Column('guest_sex', sa.String(length=1), nullable=True),
    sa.Column('guest_ethnicity', sa.String(length=2), nullable=True),
    sa.Column('state', sa.Enum('open', 'ended', 'voided', name='sessionstate', native_enum=False, length=10), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('duration_seconds', sa.Integer(), nullable=True),
    sa.Column('limit_minutes', sa.Integer(), nullable=True),
    sa.Column('voided_at', sa.DateTime(), nullable=True),
    sa.Column('void_reason', sa.String(length=300), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.Column('voided_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ended_by_id'], ['users.id'], name=op.f('fk_internet_sessions_ended_by_id_users')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_internet_sessions_institution_id_institutions')),
    sa.ForeignKeyConstraint(['patron_id'], ['patrons.id'], name=op.f('fk_internet_sessions_patron_id_patrons')),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_internet_sessions_started_by_id_users')),
    sa.ForeignKeyConstraint(['station_id'], ['internet_stations.id'], name=op.f('fk_internet_sessions_station_id_internet_stations')),
    sa.ForeignKeyConstraint(['voided_by_id'], ['users.id'], name=op.f('fk_internet_sessions_voided_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_internet_sessions'))
    )
    with op.batch_alter_table('internet_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_internet_sessions_institution_started', ['institution_id', 'started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_internet_sessions_patron_id'), ['patron_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_internet_sessions_reader_key'), ['reader_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_internet_sessions_station_id'), ['station_id'], unique=False)
        batch_op.create_index('uq_internet_sessions_open_reader', ['patron_id'], unique=True, sqlite_where=sa.text("state = 'open' AND patron_id IS NOT NULL"), postgresql_where=sa.text("state = 'open' AND patron_id IS NOT NULL"))
        batch_op.create_index('uq_internet_sessions_open_station', ['station_id'], unique=True, sqlite_where=sa.text("state = 'open'"), postgresql_where=sa.text("state = 'open'"))

    op.create_table('internet_training_attendees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('training_id', sa.Integer(), nullable=False),
    sa.Column('patron_id', sa.Integer(), nullable=True),
    sa.Column('reader_key', sa.String(length=24), nullable=False),
    sa.Column('ethnicity', sa.String(length=2), nullable=True),
    sa.Column('sex', sa.String(length=1), nullable=True),
    sa.ForeignKeyConstraint(['patron_id'], ['patrons.id'], name=op.f('fk_internet_training_attendees_patron_id_patrons')),
    sa.ForeignKeyConstraint(['training_id'], ['internet_trainings.id'], name=op.f('fk_internet_training_attendees_training_id_internet_trainings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_internet_training_attendees')),
    sa.UniqueConstraint('training_id', 'reader_key', name=op.f('uq_internet_training_attendees_training_id_reader_key'))
    )
    with op.batch_alter_table('internet_training_attendees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_internet_training_attendees_patron_id'), ['patron_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_internet_training_attendees_training_id'), ['training_id'], unique=False)

    op.create_table('internet_training_counts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('training_id', sa.Integer(), nullable=False),
    sa.Column('ethnicity', sa.String(length=2), nullable=True),
    sa.Column('sex', sa.String(length=1), nullable=True),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['training_id'], ['internet_trainings.id'], name=op.f('fk_internet_training_counts_training_id_internet_trainings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_internet_training_counts'))
    )
    with op.batch_alter_table('internet_training_counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_internet_training_counts_training_id'), ['training_id'], unique=False)



def downgrade():
    with op.batch_alter_table('internet_training_counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_internet_training_counts_training_id'))

    op.drop_table('internet_training_counts')
    with op.batch_alter_table('internet_training_attendees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_internet_training_attendees_training_id'))
        batch_op.drop_index(batch_op.f('ix_internet_training_attendees_patron_id'))

    op.drop_table('internet_training_attendees')
    with op.batch_alter_table('internet_sessions', schema=None) as batch_op:
        batch_op.drop_index('uq_internet_sessions_open_station', sqlite_where=sa.text("state = 'open'"), postgresql_where=sa.text("state = 'open'"))
        batch_op.drop_index('uq_internet_sessions_open_reader', sqlite_where=sa.text("state = 'open' AND patron_id IS NOT NULL"), postgresql_where=sa.text("state = 'open' AND patron_id IS NOT NULL"))
        batch_op.drop_index(batch_op.f('ix_internet_sessions_station_id'))
        batch_op.drop_index(batch_op.f('ix_internet_sessions_reader_key'))
        batch_op.drop_index(batch_op.f('ix_internet_sessions_patron_id'))
        batch_op.drop_index('ix_internet_sessions_institution_started')

    op.drop_table('internet_sessions')
    with op.batch_alter_table('internet_trainings', schema=None) as batch_op:
        batch_op.drop_index('ix_internet_trainings_institution_date')

    op.drop_table('internet_trainings')
    with op.batch_alter_table('internet_stations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_internet_stations_institution_id'))

    op.drop_table('internet_stations')
    op.drop_table('internet_settings')
    with op.batch_alter_table('internet_opening_hours', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_internet_opening_hours_institution_id'))

    op.drop_table('internet_opening_hours')
    op.drop_table('internet_connectivity')
