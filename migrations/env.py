"""Alembic environment for ILMS: runs inside the Flask app, batch mode for SQLite."""
import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy.types import TypeDecorator

from ilms.common.dbtypes import SortKey, TextSearchVector

config = context.config
if config.config_file_name and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

db = current_app.extensions["migrate"].db
target_metadata = db.metadata


def render_item(type_, obj, autogen_context):
    """Write ILMS column types as the plain SQLAlchemy types they store, so that
    migrations never import application code."""
    if type_ != "type" or not isinstance(obj, TypeDecorator):
        return False
    if isinstance(obj, SortKey):
        length = obj.impl.length
        return (f"sa.String(length={length}).with_variant("
                f"sa.String(length={length}, collation='C'), 'postgresql')")
    if isinstance(obj, TextSearchVector):
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return "sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql')"
    return "sa." + repr(obj.impl)


def run_migrations_offline():
    context.configure(url=str(db.engine.url), target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def _skip_empty_autogenerate(context_, revision, directives):
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logging.getLogger("alembic.env").info("No changes in schema detected.")


def run_migrations_online():
    engine = db.engine
    with engine.connect() as connection:
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds tables; foreign keys are checked once at the end instead.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")
        options = {"render_as_batch": True, "compare_type": True, "render_item": render_item,
                   "transactional_ddl": True,
                   **current_app.extensions["migrate"].configure_args}
        context.configure(connection=connection, target_metadata=target_metadata,
                          process_revision_directives=_skip_empty_autogenerate, **options)
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            connection.commit()
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = ON")
            if problems:
                raise RuntimeError(f"foreign key check failed after migration: {problems[:5]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
