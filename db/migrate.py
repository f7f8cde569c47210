"""Bring a database to the latest schema with Alembic (what the app does on start)."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

ALEMBIC_INI = Path(__file__).resolve().parent / "alembic.ini"


def alembic_config() -> Config:
    return Config(str(ALEMBIC_INI))


def upgrade(engine: Engine) -> None:
    """Nothing to do, and Alembic not even started, when the schema is the latest already (the
    app, the command line and each page's first read call this)."""
    if current_revision(engine) != head_revision():
        migrate(engine, "upgrade", "head")


@functools.cache
def head_revision() -> str:
    """The latest migration (reading the migration scripts costs ~0.2 s: once per process)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The database's migration, as Alembic records it (None: none run yet)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine, direction: str, revision: str) -> None:
    """Run the migrations up (or down) to ``revision``, in one transaction.

    SQLite alters a table by copying it and dropping the old one (Alembic's batch mode); with
    foreign keys enforced, that drop would cascade: every label link, service, sub-action of the
    actions table gone, every history row unlinked. So on SQLite the migrations run with foreign
    keys off (the pragma only takes effect outside a transaction), are checked once done, and
    foreign keys are turned back on before the connection goes back to the pool."""
    config = alembic_config()
    run = command.upgrade if direction == "upgrade" else command.downgrade
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        # On the driver's own connection: SQLAlchemy would open a transaction first (db.engine
        # emits BEGIN), inside which SQLite ignores the pragma.
        driver = connection.connection.driver_connection if sqlite else None
        if sqlite:
            driver.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                run(config, revision)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:  # raising rolls the whole migration back
                        raise RuntimeError(f"migration left {len(broken)} dangling reference(s): {broken[:5]}")
        finally:
            if sqlite:
                driver.execute("PRAGMA foreign_keys=ON")
