"""Engine and session set-up, shared by the app, the CLI and the tests.

The URL comes from ``PST_DATABASE_URL``; without it an embedded SQLite file in the data folder
(``PST_DATA_DIR``, default ``./data``) is used.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import NullPool

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"
SQLITE_FILE_NAME = "pst_pilot.sqlite3"


def data_dir() -> Path:
    return Path(os.environ.get("PST_DATA_DIR") or DEFAULT_DATA_DIR)


def database_url() -> str:
    url = os.environ.get("PST_DATABASE_URL", "").strip()
    if url:
        return url
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / SQLITE_FILE_NAME}"


def using_embedded_database() -> bool:
    """No PST_DATABASE_URL: the embedded SQLite file of the demo (``make run``)."""
    return not os.environ.get("PST_DATABASE_URL", "").strip()


BUSY_TIMEOUT_SECONDS = 10.0


def _sqlite_setup(busy_timeout: float):
    def configure(dbapi_connection, _record) -> None:
        # WAL lets readers go on while one session writes; the busy timeout makes a second
        # writer wait (a save during an import) instead of failing at once; SQLite only
        # enforces foreign keys when asked.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
    return configure


def make_engine(url: str | None = None, busy_timeout: float = BUSY_TIMEOUT_SECONDS,
                lock_timeout: float | None = None, pooled: bool = True) -> Engine:
    """``lock_timeout`` (PostgreSQL): how long a statement waits for a row lock before failing
    (None: as long as it takes). SQLite's equivalent is ``busy_timeout``."""
    pool = {} if pooled else {"poolclass": NullPool}
    url = url or database_url()
    # An error's SQL values stay out of logs and messages (they may hold a login or a hash);
    # PST_DEBUG=1 shows them to a developer.
    hide = not os.environ.get("PST_DEBUG")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": busy_timeout}, hide_parameters=hide, **pool)
        event.listen(engine, "connect", _sqlite_setup(busy_timeout))
        # pysqlite defers BEGIN on its own; take over so that write transactions can start with
        # BEGIN IMMEDIATE (see writer_engine): a deferred read-then-write transaction fails with
        # "database is locked" when another writer got in between, whatever the busy timeout.
        event.listen(engine, "connect", _disable_pysqlite_begin)
        event.listen(engine, "begin", _begin)
        return engine
    options = {"options": f"-c lock_timeout={int(lock_timeout * 1000)}"} if lock_timeout is not None else {}
    return create_engine(url, pool_pre_ping=True, hide_parameters=hide, connect_args=options, **pool)


def _disable_pysqlite_begin(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None


def _begin(conn) -> None:
    immediate = conn.get_execution_options().get("begin_immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def writer_engine(engine: Engine) -> Engine:
    """The same engine (same pool) whose transactions take SQLite's write lock up front.

    PostgreSQL ignores the option: its row locks and the version check do the work there.
    """
    return engine.execution_options(begin_immediate=True)


IMPATIENT_SECONDS = 0.2


def impatient(engine: Engine) -> Engine:
    """An engine on the same database whose writes give up after 0.2 s instead of waiting for a
    lock: for bookkeeping a reader does in passing (a session's « last seen »), which must never
    keep a page waiting behind an import."""
    return _impatient(engine.url.render_as_string(hide_password=False))


@lru_cache(maxsize=8)
def _impatient(url: str) -> Engine:
    # Unpooled: used once per person every few minutes, it keeps no connection open.
    return make_engine(url, busy_timeout=IMPATIENT_SECONDS, lock_timeout=IMPATIENT_SECONDS, pooled=False)


@lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    """One engine (one pool) per URL per process."""
    return make_engine(url)
