"""Reader days: the (reader, institution, local day) triples behind reader visits and active readers,
kept by triggers on visits, loans and internet sessions, and filled from the history already stored;
reader years (who was seen where each year) kept from them the same way; indexes for the indicators.

Revision ID: 0011
Revises: 0005

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0005'
branch_labels = None
depends_on = None

#: Where readers are seen, as the visit sources of ``stats/indicators`` define them: the table, the
#: columns that make its triple, and when a row counts. ``{r}`` is the row (NEW or OLD).
SOURCES = {
    "visits": [
        dict(institution="institution_id", at="at", live="{r}.voided_at IS NULL"),
    ],
    "loans": [
        dict(institution="institution_id", at="checked_out_at", live="{r}.voided_at IS NULL"),
        dict(institution="return_institution_id", at="returned_at",
             live="{r}.voided_at IS NULL AND {r}.returned_at IS NOT NULL AND {r}.return_institution_id IS NOT NULL"),
    ],
    "internet_sessions": [
        dict(institution="institution_id", at="started_at",
             live="{r}.state != 'voided' AND {r}.is_guest = {false}"),
    ],
}

#: The columns whose change can move a row's triples (other updates leave the table alone).
WATCHED = {
    "visits": ["reader_key", "institution_id", "at", "voided_at"],
    "loans": ["reader_key", "institution_id", "checked_out_at", "returned_at", "return_institution_id",
              "voided_at"],
    "internet_sessions": ["reader_key", "institution_id", "started_at", "state", "is_guest"],
}

TABLE = "stats_reader_days"


def _live(source, row, false):
    return f"{row}.reader_key != '' AND " + source["live"].format(r=row, false=false)


# -- SQLite ---------------------------------------------------------------------------------------

def _sqlite_day(expr):
    return f"date({expr}, '+7 hours')"


def _sqlite_month(expr):
    return f"CAST(strftime('%Y%m', {expr}, '+7 hours') AS INTEGER)"


def _sqlite_add(source, row):
    at = f"{row}.{source['at']}"
    return (f"INSERT INTO {TABLE} (reader_key, institution_id, day, month, events) "
            f"SELECT {row}.reader_key, {row}.{source['institution']}, {_sqlite_day(at)}, {_sqlite_month(at)}, 1 "
            f"WHERE {_live(source, row, '0')} "
            "ON CONFLICT (institution_id, day, reader_key) DO UPDATE SET events = events + 1;")


def _sqlite_remove(source, row):
    at = f"{row}.{source['at']}"
    key = (f"institution_id = {row}.{source['institution']} AND day = {_sqlite_day(at)} "
           f"AND reader_key = {row}.reader_key")
    return (f"UPDATE {TABLE} SET events = events - 1 WHERE {key} AND {_live(source, row, '0')}; "
            f"DELETE FROM {TABLE} WHERE {key} AND events <= 0;")


def _sqlite_triggers(table, sources):
    add_new = " ".join(_sqlite_add(s, "NEW") for s in sources)
    remove_old = " ".join(_sqlite_remove(s, "OLD") for s in sources)
    watched = ", ".join(WATCHED[table])
    return [
        f"CREATE TRIGGER trg_{table}_reader_days_insert AFTER INSERT ON {table} BEGIN {add_new} END",
        f"CREATE TRIGGER trg_{table}_reader_days_update AFTER UPDATE OF {watched} ON {table} "
        f"BEGIN {remove_old} {add_new} END",
        f"CREATE TRIGGER trg_{table}_reader_days_delete AFTER DELETE ON {table} BEGIN {remove_old} END",
    ]


YEARS = "stats_reader_years"

SQLITE_YEAR_TRIGGERS = [
    f"CREATE TRIGGER trg_{TABLE}_years_insert AFTER INSERT ON {TABLE} BEGIN "
    f"INSERT INTO {YEARS} (reader_key, institution_id, year, days) "
    "VALUES (NEW.reader_key, NEW.institution_id, NEW.month / 100, 1) "
    "ON CONFLICT (institution_id, year, reader_key) DO UPDATE SET days = days + 1; END",
    f"CREATE TRIGGER trg_{TABLE}_years_delete AFTER DELETE ON {TABLE} BEGIN "
    f"UPDATE {YEARS} SET days = days - 1 WHERE institution_id = OLD.institution_id AND year = OLD.month / 100 "
    "AND reader_key = OLD.reader_key; "
    f"DELETE FROM {YEARS} WHERE institution_id = OLD.institution_id AND year = OLD.month / 100 "
    "AND reader_key = OLD.reader_key AND days <= 0; END",
]


# -- PostgreSQL -------------------------------------------------------------------------------------

PG_ADD = f"""
CREATE OR REPLACE FUNCTION stats_reader_day_add(reader varchar, inst integer, stamp timestamp, delta integer) RETURNS void AS $$
DECLARE
    local_day date := CAST(stamp + INTERVAL '7 hours' AS date);
BEGIN
    IF delta > 0 THEN
        INSERT INTO {TABLE} (reader_key, institution_id, day, month, events)
        VALUES (reader, inst, local_day,
                CAST(extract(year FROM local_day) * 100 + extract(month FROM local_day) AS integer), delta)
        ON CONFLICT (institution_id, day, reader_key) DO UPDATE SET events = {TABLE}.events + delta;
    ELSE
        UPDATE {TABLE} SET events = events + delta
         WHERE institution_id = inst AND day = local_day AND reader_key = reader;
        DELETE FROM {TABLE} WHERE institution_id = inst AND day = local_day AND reader_key = reader AND events <= 0;
    END IF;
END;
$$ LANGUAGE plpgsql
"""


PG_YEARS = f"""
CREATE OR REPLACE FUNCTION trg_{TABLE}_years() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO {YEARS} (reader_key, institution_id, year, days)
    VALUES (NEW.reader_key, NEW.institution_id, NEW.month / 100, 1)
    ON CONFLICT (institution_id, year, reader_key) DO UPDATE SET days = {YEARS}.days + 1;
  ELSE
    UPDATE {YEARS} SET days = days - 1
     WHERE institution_id = OLD.institution_id AND year = OLD.month / 100 AND reader_key = OLD.reader_key;
    DELETE FROM {YEARS}
     WHERE institution_id = OLD.institution_id AND year = OLD.month / 100 AND reader_key = OLD.reader_key
       AND days <= 0;
  END IF;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""

PG_YEAR_TRIGGERS = [
    PG_YEARS,
    f"CREATE TRIGGER trg_{TABLE}_years_insert AFTER INSERT OR DELETE ON {TABLE} "
    f"FOR EACH ROW EXECUTE FUNCTION trg_{TABLE}_years()",
]


def _pg_calls(sources, row, delta):
    return "\n".join(
        f"    IF {_live(s, row, 'false')} THEN PERFORM stats_reader_day_add({row}.reader_key, "
        f"{row}.{s['institution']}, {row}.{s['at']}, {delta}); END IF;" for s in sources)


def _pg_function(table, sources):
    return f"""
CREATE OR REPLACE FUNCTION trg_{table}_reader_days() RETURNS trigger AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
{_pg_calls(sources, 'OLD', -1)}
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
{_pg_calls(sources, 'NEW', 1)}
  END IF;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""


def _pg_triggers(table, sources):
    watched = ", ".join(WATCHED[table])
    return [
        _pg_function(table, sources),
        f"CREATE TRIGGER trg_{table}_reader_days_insert AFTER INSERT OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION trg_{table}_reader_days()",
        f"CREATE TRIGGER trg_{table}_reader_days_update AFTER UPDATE OF {watched} ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION trg_{table}_reader_days()",
    ]


# -- the history already stored ----------------------------------------------------------------------

def _backfill(dialect):
    if dialect == "postgresql":
        day = "CAST({at} + INTERVAL '7 hours' AS date)"
        false = "false"
    else:
        day = "date({at}, '+7 hours')"
        false = "0"
    selects = []
    for table, sources in SOURCES.items():
        for s in sources:
            selects.append(f"SELECT r.reader_key AS reader_key, r.{s['institution']} AS institution_id, "
                           f"{day.format(at='r.' + s['at'])} AS day FROM {table} r WHERE {_live(s, 'r', false)}")
    union = " UNION ALL ".join(selects)
    if dialect == "postgresql":
        month = "CAST(extract(year FROM e.day) * 100 + extract(month FROM e.day) AS integer)"
    else:
        month = "CAST(strftime('%Y%m', e.day) AS INTEGER)"
    return (f"INSERT INTO {TABLE} (reader_key, institution_id, day, month, events) "
            f"SELECT e.reader_key, e.institution_id, e.day, {month}, count(*) FROM ({union}) e "
            "GROUP BY e.reader_key, e.institution_id, e.day")


def upgrade():
    op.create_table(TABLE,
    sa.Column('reader_key', sa.String(length=24), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                            name=op.f('fk_stats_reader_days_institution_id_institutions')),
    sa.PrimaryKeyConstraint('institution_id', 'day', 'reader_key', name=op.f('pk_stats_reader_days')),
    sqlite_with_rowid=False,
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index('ix_stats_reader_days_institution_reader', ['institution_id', 'reader_key', 'day'])
        batch_op.create_index('ix_stats_reader_days_reader', ['reader_key', 'day', 'institution_id'])
        batch_op.create_index('ix_stats_reader_days_institution_month', ['institution_id', 'month', 'reader_key'])

    op.create_table(YEARS,
    sa.Column('reader_key', sa.String(length=24), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                            name=op.f('fk_stats_reader_years_institution_id_institutions')),
    sa.PrimaryKeyConstraint('institution_id', 'year', 'reader_key', name=op.f('pk_stats_reader_years')),
    sqlite_with_rowid=False,
    )
    with op.batch_alter_table(YEARS, schema=None) as batch_op:
        batch_op.create_index('ix_stats_reader_years_reader', ['reader_key', 'year', 'institution_id'])

    # What LIB.LOANS, LIB.HOLDINGS and the internet indicators read, without visiting the rows themselves.
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.drop_index('ix_loans_institution_out')
        batch_op.create_index('ix_loans_institution_out_voided', ['institution_id', 'checked_out_at', 'voided_at'])
    with op.batch_alter_table('accessions', schema=None) as batch_op:
        batch_op.create_index('ix_accessions_item_date', ['item_id', 'date', 'id'])
    with op.batch_alter_table('internet_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_internet_sessions_counted',
                              ['institution_id', 'state', 'started_at', 'is_guest', 'reader_key',
                               'duration_seconds'])

    dialect = op.get_bind().dialect.name
    op.execute(_backfill(dialect))
    op.execute(f"INSERT INTO {YEARS} (reader_key, institution_id, year, days) "
               f"SELECT reader_key, institution_id, month / 100, count(*) FROM {TABLE} "
               "GROUP BY reader_key, institution_id, month / 100")
    for statement in trigger_statements(dialect):
        op.execute(statement)


def trigger_statements(dialect):
    """The triggers (and PostgreSQL functions) that keep the table; ``stats.reader_days`` reuses them to repair."""
    if dialect == "postgresql":
        return ([PG_ADD] + [s for table, sources in SOURCES.items() for s in _pg_triggers(table, sources)]
                + PG_YEAR_TRIGGERS)
    return [s for table, sources in SOURCES.items() for s in _sqlite_triggers(table, sources)] + SQLITE_YEAR_TRIGGERS


def drop_trigger_statements(dialect):
    if dialect == "postgresql":
        out = [f"DROP TRIGGER IF EXISTS trg_{TABLE}_years_insert ON {TABLE}"]
    else:
        out = [f"DROP TRIGGER IF EXISTS trg_{TABLE}_years_{name}" for name in ("insert", "delete")]
    for table in SOURCES:
        if dialect == "postgresql":
            out += [f"DROP TRIGGER IF EXISTS trg_{table}_reader_days_{name} ON {table}" for name in ("insert", "update")]
        else:
            out += [f"DROP TRIGGER IF EXISTS trg_{table}_reader_days_{name}" for name in ("insert", "update", "delete")]
    return out


def downgrade():
    dialect = op.get_bind().dialect.name
    for statement in drop_trigger_statements(dialect):
        op.execute(statement)
    if dialect == "postgresql":
        for table in SOURCES:
            op.execute(f"DROP FUNCTION IF EXISTS trg_{table}_reader_days()")
        op.execute("DROP FUNCTION IF EXISTS stats_reader_day_add(varchar, integer, timestamp, integer)")
        op.execute(f"DROP FUNCTION IF EXISTS trg_{TABLE}_years()")
    with op.batch_alter_table('internet_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_internet_sessions_counted')
    with op.batch_alter_table('accessions', schema=None) as batch_op:
        batch_op.drop_index('ix_accessions_item_date')
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.drop_index('ix_loans_institution_out_voided')
        batch_op.create_index('ix_loans_institution_out', ['institution_id', 'checked_out_at'])
    op.drop_table(YEARS)
    op.drop_table(TABLE)
