"""The Department's follow-up: inspections and recommendations, publicity, funding, school programmes
and sessions, permanent and outdoor displays with their sections and artifacts, exchange visits.

Revision ID: 0019
Revises: 0013
Create Date: 2026-12-07 22:45:34.491922

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('partner_schools',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('commune', sa.String(length=120), nullable=False),
    sa.Column('name_folded', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_schools')),
    sa.UniqueConstraint('name_folded', name=op.f('uq_partner_schools_name_folded'))
    )
    op.create_table('exchange_visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.Enum('made', 'received', name='exchangedirection', native_enum=False, length=32), nullable=False),
    sa.Column('out_of_province', sa.Boolean(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('partners', sa.Text(), nullable=False),
    sa.Column('participants', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_exchange_visits_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_visits'))
    )
    with op.batch_alter_table('exchange_visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_visits_date'), ['date'], unique=False)
        batch_op.create_index(batch_op.f('ix_exchange_visits_institution_id'), ['institution_id'], unique=False)

    op.create_table('funding_receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('source', sa.Enum('state_budget', 'socialisation', 'other', name='fundingsource', native_enum=False, length=32), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('purpose', sa.String(length=300), nullable=False),
    sa.Column('donor', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_funding_receipts_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_funding_receipts'))
    )
    with op.batch_alter_table('funding_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_funding_receipts_date'), ['date'], unique=False)
        batch_op.create_index(batch_op.f('ix_funding_receipts_institution_id'), ['institution_id'], unique=False)

    op.create_table('media_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('medium', sa.Enum('press', 'radio', 'tv', 'website', 'social', 'banner', name='medium', native_enum=False, length=32), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('made_by', sa.String(length=200), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=False),
    sa.Column('scan_name', sa.String(length=80), nullable=True),
    sa.Column('scan_original_name', sa.String(length=200), nullable=False),
    sa.Column('scan_content_type', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_media_items_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_items'))
    )
    with op.batch_alter_table('media_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_items_date'), ['date'], unique=False)
        batch_op.create_index(batch_op.f('ix_media_items_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_media_items_medium'), ['medium'], unique=False)

    op.create_table('permanent_displays',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('permanent', 'outdoor', name='displaykind', native_enum=False, length=32), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_permanent_displays_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_permanent_displays')),
    sa.UniqueConstraint('code', name=op.f('uq_permanent_displays_code'))
    )
    with op.batch_alter_table('permanent_displays', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_permanent_displays_institution_id'), ['institution_id'], unique=False)

    op.create_table('school_programmes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('agreement', sa.String(length=200), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_school_programmes_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_programmes')),
    sa.UniqueConstraint('code', name=op.f('uq_school_programmes_code'))
    )
    with op.batch_alter_table('school_programmes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_school_programmes_institution_id'), ['institution_id'], unique=False)

    op.create_table('inspections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('inspection', 'check', 'supervision', name='inspectionkind', native_enum=False, length=32), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('inspectors', sa.String(length=300), nullable=False),
    sa.Column('scope', sa.String(length=500), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_inspections_created_by_id_users')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_inspections_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspections')),
    sa.UniqueConstraint('code', name=op.f('uq_inspections_code'))
    )
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspections_date'), ['date'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspections_institution_id'), ['institution_id'], unique=False)

    op.create_table('permanent_display_sections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('display_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('planned_by', sa.Date(), nullable=True),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['display_id'], ['permanent_displays.id'], name=op.f('fk_permanent_display_sections_display_id_permanent_displays'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_permanent_display_sections'))
    )
    with op.batch_alter_table('permanent_display_sections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_permanent_display_sections_display_id'), ['display_id'], unique=False)

    op.create_table('school_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('place', sa.Enum('school', 'museum', 'library', name='sessionplace', native_enum=False, length=32), nullable=False),
    sa.Column('students', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['school_programmes.id'], name=op.f('fk_school_sessions_programme_id_school_programmes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['partner_schools.id'], name=op.f('fk_school_sessions_school_id_partner_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_sessions'))
    )
    with op.batch_alter_table('school_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_school_sessions_date'), ['date'], unique=False)
        batch_op.create_index(batch_op.f('ix_school_sessions_programme_id'), ['programme_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_school_sessions_school_id'), ['school_id'], unique=False)

    op.create_table('inspection_recommendations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('responsible', sa.String(length=200), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('open', 'done', name='recommendationstatus', native_enum=False, length=32), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('answer_note', sa.Text(), nullable=False),
    sa.Column('evidence_name', sa.String(length=80), nullable=True),
    sa.Column('evidence_original_name', sa.String(length=200), nullable=False),
    sa.Column('evidence_content_type', sa.String(length=40), nullable=False),
    sa.Column('evidence_size', sa.Integer(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_inspection_recommendations_answered_by_id_users')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_inspection_recommendations_inspection_id_inspections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_recommendations'))
    )
    with op.batch_alter_table('inspection_recommendations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_recommendations_deadline'), ['deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_recommendations_inspection_id'), ['inspection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_recommendations_status'), ['status'], unique=False)

    op.create_table('permanent_display_artifacts',
    sa.Column('display_id', sa.Integer(), nullable=False),
    sa.Column('artifact_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['artifact_id'], ['artifacts.id'], name=op.f('fk_permanent_display_artifacts_artifact_id_artifacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['display_id'], ['permanent_displays.id'], name=op.f('fk_permanent_display_artifacts_display_id_permanent_displays'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('display_id', 'artifact_id', name=op.f('pk_permanent_display_artifacts'))
    )
    with op.batch_alter_table('permanent_display_artifacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_permanent_display_artifacts_artifact_id'), ['artifact_id'], unique=False)



def downgrade():
    with op.batch_alter_table('permanent_display_artifacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_permanent_display_artifacts_artifact_id'))

    op.drop_table('permanent_display_artifacts')
    with op.batch_alter_table('inspection_recommendations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_recommendations_status'))
        batch_op.drop_index(batch_op.f('ix_inspection_recommendations_inspection_id'))
        batch_op.drop_index(batch_op.f('ix_inspection_recommendations_deadline'))

    op.drop_table('inspection_recommendations')
    with op.batch_alter_table('school_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_school_sessions_school_id'))
        batch_op.drop_index(batch_op.f('ix_school_sessions_programme_id'))
        batch_op.drop_index(batch_op.f('ix_school_sessions_date'))

    op.drop_table('school_sessions')
    with op.batch_alter_table('permanent_display_sections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_permanent_display_sections_display_id'))

    op.drop_table('permanent_display_sections')
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspections_institution_id'))
        batch_op.drop_index(batch_op.f('ix_inspections_date'))

    op.drop_table('inspections')
    with op.batch_alter_table('school_programmes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_school_programmes_institution_id'))

    op.drop_table('school_programmes')
    with op.batch_alter_table('permanent_displays', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_permanent_displays_institution_id'))

    op.drop_table('permanent_displays')
    with op.batch_alter_table('media_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_items_medium'))
        batch_op.drop_index(batch_op.f('ix_media_items_institution_id'))
        batch_op.drop_index(batch_op.f('ix_media_items_date'))

    op.drop_table('media_items')
    with op.batch_alter_table('funding_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_funding_receipts_institution_id'))
        batch_op.drop_index(batch_op.f('ix_funding_receipts_date'))

    op.drop_table('funding_receipts')
    with op.batch_alter_table('exchange_visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_visits_institution_id'))
        batch_op.drop_index(batch_op.f('ix_exchange_visits_date'))

    op.drop_table('exchange_visits')
    op.drop_table('partner_schools')
