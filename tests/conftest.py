"""Fixtures that build real databases (SQLite files and PostgreSQL databases) for the tests.

Every database a test run creates is its own and is dropped at the end. Backends:
- SQLite: files in pytest's tmp dir.
- PostgreSQL: ``PST_TEST_POSTGRES_URL`` (default: postgres@127.0.0.1:5432/test) is used as the
  admin connection to CREATE/DROP databases named ``pst_test_<run>_<n>``. When it is not
  reachable the PostgreSQL tests skip with the reason, except in CI (CI=true) where the run
  fails: a green CI must mean both backends were tested.

The clock: every test runs with PST Pilot's clock set to ``TEST_NOW`` (Brussels time), so no
test depends on the day it runs; a test that needs another moment uses the ``set_now`` fixture.
The browser journeys' servers run in processes of their own, on the machine's clock.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import queue
import shutil
import threading
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from db.engine import make_engine
from db.migrate import upgrade
from pst_data import accounts
from pst_data.exchange.plan_file import load_plan_file
from pst_data.rules import clock
from pst_data.seed import demo_plan_files, seed
from pst_data.uow import Operator
from tests.people import add_people

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
POSTGRES_ADMIN_URL = os.environ.get(
    "PST_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
RUN_ID = uuid.uuid4().hex[:8]
# Pages and servers started by the tests show Streamlit's exception box, not the French message
# for users (ui/errors.py): a failing page must fail its test.
os.environ["PST_DEBUG"] = "1"
SEEDS_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"
BACKENDS = ("sqlite", "postgresql")
TEST_NOW = dt.datetime(2026, 11, 23, 10, 0)  # a Monday, 10:00 in Brussels
TODAY = TEST_NOW.date()


def _postgres_problem() -> str | None:
    try:
        engine = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure to connect means "no PostgreSQL here"
        return f"PostgreSQL injoignable ({make_url(POSTGRES_ADMIN_URL).render_as_string()}): {exc}"


POSTGRES_PROBLEM = _postgres_problem()


def pytest_configure(config):
    clock.set_clock(TEST_NOW)


def pytest_collection_modifyitems(config, items):
    # The marker that `make test-fast` leaves out: every test run on the PostgreSQL backend.
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend") == "postgresql":
            item.add_marker(pytest.mark.postgres)


@pytest.fixture
def set_now():
    """``set_now(dt.datetime(2029, 3, 1, 0, 30))``: the clock reads that Brussels time for the
    rest of the test."""
    with clock.kept():  # afterwards the suite's clock goes on where it was, never back
        yield clock.set_clock


def pytest_sessionstart(session):
    if IN_CI and POSTGRES_PROBLEM:
        raise pytest.UsageError(f"CI=true and a required service is missing: {POSTGRES_PROBLEM}")


class DatabaseFactory:
    """Creates databases for one backend. A PostgreSQL database a test is done with is dropped
    by threads of their own while the next tests run: a DROP DATABASE waits for a checkpoint
    of the whole server (~0.1 s, PostgreSQL 15), and drops that wait together share some. One
    thread lagged 36–93 databases behind the tests (5–9 s waited at the end of each worker);
    four keep up. Eight drop faster still, but their checkpoints slowed the PostgreSQL tests by
    a third (two full runs of 388 and 397 s against 316–337 s)."""

    DROPPERS = 4

    def __init__(self, backend: str, tmp_dir: Path):
        self.backend = backend
        self.tmp_dir = tmp_dir
        self.counter = itertools.count()
        self.created: list[str] = []
        self.engines = []
        self._admin = None
        self._to_drop: queue.Queue[str | None] = queue.Queue()
        self._droppers: list[threading.Thread] = []

    def _admin_engine(self):
        if self._admin is None:
            self._admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        return self._admin

    def new_url(self, template: str | None = None) -> str:
        n = next(self.counter)
        if self.backend == "sqlite":
            path = self.tmp_dir / f"pst_{n}.sqlite3"
            if template:
                shutil.copyfile(make_url(template).database, path)
            return f"sqlite:///{path}"
        name = f"pst_test_{RUN_ID}_{n}"
        with self._admin_engine().connect() as conn:
            clause = f" TEMPLATE {make_url(template).database}" if template else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        self.created.append(name)
        return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def engine(self, url: str):
        engine = make_engine(url)
        self.engines.append(engine)
        return engine

    def release(self, engine) -> None:
        """The test is over: its connections go back now (PostgreSQL allows ~100 clients in
        all) and its database is dropped in the background."""
        engine.dispose()
        if self.backend != "postgresql":
            return
        if not self._droppers:
            self._droppers = [threading.Thread(target=self._drop_released, name=f"drop-test-databases-{n}",
                                               daemon=True) for n in range(self.DROPPERS)]
            for dropper in self._droppers:
                dropper.start()
        self._to_drop.put(engine.url.database)

    def _drop_released(self) -> None:
        while (name := self._to_drop.get()) is not None:
            try:
                with self._admin_engine().connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            except Exception:  # noqa: BLE001 - close() drops what is left, IF EXISTS
                continue

    def close(self) -> None:
        for engine in self.engines:
            engine.dispose()
        for _ in self._droppers:
            self._to_drop.put(None)
        for dropper in self._droppers:
            dropper.join()
        if self.backend == "postgresql" and self.created:
            with self._admin_engine().connect() as conn:
                for name in self.created:  # those not released, and none twice: IF EXISTS
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if self._admin is not None:
            self._admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request, tmp_path_factory):
    if request.param == "postgresql" and POSTGRES_PROBLEM:
        pytest.skip(POSTGRES_PROBLEM)
    factory = DatabaseFactory(request.param, tmp_path_factory.mktemp(request.param))
    yield factory
    factory.close()


def fill_seeded(url: str, anonymous_read: bool = False) -> None:
    """The schema, the five demo plans and the test accounts; ``anonymous_read`` as the demo."""
    engine = make_engine(url)
    upgrade(engine)
    seed(engine)
    add_people(engine)
    if anonymous_read:
        accounts.set_setting(engine, Operator("tests"), "anonymous_read", True)
    engine.dispose()  # PostgreSQL refuses to copy a template that has open connections


@pytest.fixture(scope="session")
def seeded_template_url(backend):
    """A database with the schema and the five demo plans, used only as a template to copy."""
    url = backend.new_url()
    fill_seeded(url)
    return url


@pytest.fixture(scope="session")
def empty_template_url(backend):
    """A database with the schema and the test accounts, no plan: a template to copy (a copy
    costs a tenth of running the migrations again)."""
    url = backend.new_url()
    engine = make_engine(url)
    upgrade(engine)
    add_people(engine)
    engine.dispose()
    return url


@pytest.fixture
def empty_engine(backend, empty_template_url):
    """A migrated database with no plan, of its own."""
    engine = backend.engine(backend.new_url(template=empty_template_url))
    yield engine
    backend.release(engine)


@pytest.fixture
def seeded_engine(backend, seeded_template_url):
    """A copy of the seeded database that the test may change freely."""
    engine = backend.engine(backend.new_url(template=seeded_template_url))
    yield engine
    backend.release(engine)


@pytest.fixture(scope="session")
def seeded_sqlite_file(tmp_path_factory) -> Path:
    """A SQLite file with the five demo plans, for the page and browser tests to copy."""
    path = tmp_path_factory.mktemp("seeded") / "seeded.sqlite3"
    # Like the demo: the pages are readable without an account (tests of the other setting
    # turn it off).
    fill_seeded(f"sqlite:///{path}", anonymous_read=True)
    return path


@pytest.fixture
def app_db_url(seeded_sqlite_file, tmp_path) -> str:
    """A fresh copy of the seeded SQLite database for one test."""
    copy = tmp_path / "app.sqlite3"
    shutil.copyfile(seeded_sqlite_file, copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def cli(monkeypatch, capsys):
    """``cli(*args, url=...)``: the command line, run in this process (a new interpreter per
    command costs ~1.5 s); its exit code, stdout and stderr. One test, test_plan_files.py's
    test_cli_import_export_and_errors, runs the real `python -m pst_data` in a process of its own."""
    from pst_data.cli import main

    def run(*args, url):
        monkeypatch.setenv("PST_DATABASE_URL", url)
        try:
            returncode = main([str(a) for a in args])
        except SystemExit as exit_:  # argparse's refusals
            returncode = exit_.code
        out, err = capsys.readouterr()
        return SimpleNamespace(returncode=returncode, stdout=out, stderr=err)
    return run


@pytest.fixture(scope="session")
def plan_files():
    """slug -> normalised plan dict, straight from pst_data/plans."""
    return {path.stem: load_plan_file(path) for path in demo_plan_files()}


@pytest.fixture(scope="session")
def seed_texts():
    """slug -> text of the source document in ../shared/seeds (the ground truth)."""
    names = {
        "charleroi": "000_f5234723ed689768.txt",
        "binche": "001_9a182b936f7552cc.txt",
        "bernissart": "002_234c145c184690c3.txt",
        "saint-ghislain": "003_8e783ad511adc12c.txt",
        "ecaussinnes": "004_1dcfd79c08b62dfd.txt",
    }
    missing = [n for n in names.values() if not (SEEDS_DIR / n).exists()]
    if missing:
        pytest.fail(f"source documents missing in {SEEDS_DIR}: {missing}")
    return {slug: (SEEDS_DIR / name).read_text(encoding="utf-8") for slug, name in names.items()}
