"""The database checks every installation gets; domains add theirs with ``common.checks.register_check``."""
from ..common.checks import checks, register_check
from ..extensions import db
from . import database


def _read_connection():
    """A connection that only reads: checks must not hold SQLite's write lock while they scan."""
    return db.engine.connect()


def database_integrity():
    with _read_connection() as connection:
        if connection.dialect.name == "sqlite":
            return database._sqlite_integrity(connection)
        return database.integrity_problems(connection)


def repair_integrity():
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            done = database.repair_postgres(connection)
            return "; ".join(done) or "nothing to repair automatically"
    return ("broken rows and damaged files are not repaired automatically: "
            "restore the latest backup (flask --app ilms backup restore)")


def schema_at_head():
    with _read_connection() as connection:
        current = database.current_revision(connection)
    head = database.head_revision()
    if current != head:
        return [f"the database schema is at revision {current or 'none'}, the code expects {head}: "
                "run flask --app ilms db upgrade"]
    return []


def sequences():
    with _read_connection() as connection:
        gaps = database.sequence_gaps(connection)
    return [f"table {table}: the next id would be {next_value} but ids go up to {highest} "
            "(new rows would fail); --repair moves the sequence on" for table, _seq, next_value, highest in gaps]


def repair_sequences():
    with db.engine.begin() as connection:
        fixed = database.fix_sequences(connection)
    return f"{len(fixed)} sequence(s) set past their table's highest id"


def register_builtin_checks():
    register_check("database integrity", database_integrity, repair=repair_integrity, order=0)
    register_check("database schema", schema_at_head, order=1)
    register_check("database sequences", sequences, repair=repair_sequences, order=2)


def run_checks(*, repair=False, echo=print):
    """Run every registered check; with ``repair``, repair what can be and check again.

    Returns the problems that remain, as ``[(check name, problem)]``.
    """
    remaining = []
    for check in checks():
        problems = _run_one(check)
        if problems and repair and check.repair is not None:
            echo(f"REPAIR {check.name}: {check.repair() or 'done'}")
            db.session.commit()
            problems = _run_one(check)
        if problems:
            for problem in problems:
                echo(f"PROBLEM {check.name}: {problem}")
            remaining += [(check.name, p) for p in problems]
        else:
            echo(f"ok {check.name}")
    return remaining


def _run_one(check):
    try:
        return list(check.run() or [])
    except Exception as error:  # a check that crashes is itself a finding, never a traceback
        db.session.rollback()
        return [f"the check could not run ({type(error).__name__}: {error})"]
