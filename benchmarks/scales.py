"""Build the three benchmark databases, on SQLite and on PostgreSQL, and cache them.

- S: Charleroi's plan (97 actions), imported like the app does.
- M: the five demo plans (``pst_data.seed``).
- L: every CPAS of Wallonia, 262 plans: the five demo plans (so the app opens on Charleroi at
  every scale and the pages compare like with like) plus 257 generated ones, bulk-inserted with
  SQLAlchemy Core (the ORM importer would take minutes for 26,000 actions).

Built databases are cached: SQLite files in ``benchmarks/.cache/``, PostgreSQL databases
``pst_bench_s|m|l`` whose comment holds the fingerprint they were built from. The fingerprint
covers the generator version, the demo plan files and the schema migrations, so a change of any
of them rebuilds. Benchmarks never run on the cached copies: ``working_copy`` hands out a copy
(some benchmarks write), dropped afterwards.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from benchmarks.generate import GENERATOR_VERSION, SEED, WALLOON_CPAS, generate_plans
from db.engine import make_engine
from db.migrate import upgrade
from db.models import Base, Label
from pst_data import accounts
from pst_data.exchange.plan_file import load_plan_file
from pst_data.importer import import_plan
from pst_data.rules.dates import parse_source_date
from pst_data.seed import DEMO_SLUGS, PLANS_DIR, seed
from pst_data.uow import Operator

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = Path(__file__).resolve().parent / ".cache"
MIGRATIONS_DIR = ROOT / "db" / "migrations" / "versions"
POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SCALES = ("S", "M", "L")
BACKENDS = ("sqlite", "postgresql")
GENERATED_PLANS = WALLOON_CPAS - len(DEMO_SLUGS)
BENCH_LOGIN, BENCH_PASSWORD = "benchmark", "mesure-des-pages-2026"
CHUNK = 5000
T = Base.metadata.tables


def fingerprint() -> str:
    digest = hashlib.sha256(f"generator {GENERATOR_VERSION} seed {SEED}".encode())
    for path in sorted(PLANS_DIR.glob("*.yaml")) + sorted(MIGRATIONS_DIR.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def postgres_problem() -> str | None:
    try:
        engine = create_engine(POSTGRES_ADMIN_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure means "no PostgreSQL here": skip that backend
        return f"PostgreSQL unreachable: {exc}"


def _admin():
    return create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")


def _pg_url(name: str) -> str:
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


# -- filling a database ---------------------------------------------------------------------

def fill(url: str, scale: str, log=print) -> None:
    """Create the schema and load the scale's plans into an empty database."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        if scale == "S":
            import_plan(engine, load_plan_file(PLANS_DIR / "charleroi.yaml"))
        else:
            seed(engine)
        if scale == "L":
            started = time.perf_counter()
            bulk_insert(engine, generate_plans(GENERATED_PLANS))
            log(f"  {GENERATED_PLANS} generated plans inserted in {time.perf_counter() - started:.0f} s")
        # Pages are measured as a directeur sees them (edit controls included); reading without
        # an account stays on, like the demo, for the browser figures.
        accounts.set_setting(engine, Operator("benchmark"), "anonymous_read", True)
        accounts.create_account(engine, Operator("benchmark"), BENCH_LOGIN, "directeur", name="Benchmark",
                                password=BENCH_PASSWORD)
        with engine.begin() as conn:  # what autovacuum would do soon after such a load
            if engine.dialect.name == "postgresql":
                conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()


def bulk_insert(engine, plans) -> None:
    """Insert generated plans with explicit ids, in a few executemany statements per table."""
    with engine.begin() as conn:
        next_id = {name: itertools.count((conn.scalar(select(func.max(T[name].c.id))) or 0) + 1)
                   for name in ("plans", "strategic_objectives", "operational_objectives",
                                "services", "actions", "history")}
        label_ids = dict(conn.execute(select(Label.name, Label.id)).all())
        rows: dict[str, list[dict]] = {name: [] for name in (
            "plans", "strategic_objectives", "operational_objectives", "services", "actions",
            "action_labels", "action_services", "history")}
        for generated in plans:
            data = generated.plan
            plan_id = next(next_id["plans"])
            rows["plans"].append({
                "id": plan_id, "slug": data["slug"], "organisation": data["organisation"],
                "title": data["title"], "period_start": data["period"]["start"],
                "period_end": data["period"]["end"], "document": data["document"],
                "source": data["source"], "priority_scale": data["priority_scale"],
                "evaluation_bands": data["evaluation_bands"], "stated_totals": {}, "notes": [],
                "revision": 1, "created_at": dt.datetime(2019, 1, 1), "updated_at": dt.datetime(2019, 1, 1),
            })
            service_ids: dict[str, int] = {}
            for os_position, os_data in enumerate(data["strategic_objectives"]):
                os_id = next(next_id["strategic_objectives"])
                rows["strategic_objectives"].append({
                    "id": os_id, "plan_id": plan_id, "code": os_data["code"], "title": os_data["title"],
                    "axis": None, "description": None, "stated_totals": {}, "position": os_position})
                for oo_position, oo_data in enumerate(os_data["operational_objectives"]):
                    oo_id = next(next_id["operational_objectives"])
                    rows["operational_objectives"].append({
                        "id": oo_id, "strategic_objective_id": os_id, "code": oo_data["code"],
                        "title": oo_data["title"], "description": None, "indicators": [],
                        "position": oo_position})
                    for position, action in enumerate(oo_data["actions"]):
                        action_id = next(next_id["actions"])
                        history = generated.history[action["code"]]
                        last = history[-1]
                        rows["actions"].append(_action_row(action, action_id, oo_id, position, last))
                        for name in action["labels"]:
                            rows["action_labels"].append({"action_id": action_id, "label_id": label_ids[name]})
                        for service_position, name in enumerate(action["services"]):
                            if name not in service_ids:
                                service_ids[name] = next(next_id["services"])
                                rows["services"].append({"id": service_ids[name], "plan_id": plan_id, "name": name})
                            rows["action_services"].append({"action_id": action_id,
                                                            "service_id": service_ids[name],
                                                            "position": service_position})
                        for entry in history:
                            rows["history"].append({"id": next(next_id["history"]), "plan_id": plan_id,
                                                    "action_id": action_id, "action_code": action["code"],
                                                    "entity": "action", "entity_id": action_id, **entry})
        for name, table_rows in rows.items():  # parents first: the dict keeps that order
            for start in range(0, len(table_rows), CHUNK):
                conn.execute(insert(T[name]), table_rows[start:start + CHUNK])
        if engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them
            for name in next_id:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                  f"(SELECT max(id) FROM {name}))"))


def _action_row(action: dict, action_id: int, oo_id: int, position: int, last: dict) -> dict:
    return {
        "id": action_id, "operational_objective_id": oo_id, "code": action["code"],
        "title": action["title"], "description": action["description"], "priority": action["priority"],
        "project_lead": action["project_lead"], "department": action["department"],
        "partners": action["partners"], "start_text": action["start"],
        "start_date": parse_source_date(action["start"], "start"), "end_text": action["end"],
        "end_date": parse_source_date(action["end"], "end"), "status": action["status"],
        "progress": action["progress"], "indicators": action["indicators"], "budget": action["budget"],
        "budget_text": None, "staff_fte": action["staff_fte"], "staff_text": None, "risks": [],
        "deliverables": None, "context": None, "evaluation": None, "comment": action["comment"],
        "weight": 1.0, "position": position, "version": last["version_after"],
        "created_at": dt.datetime(2019, 1, 1), "updated_at": last["changed_at"],
        "updated_by": last["changed_by"],
    }


# -- the cache -------------------------------------------------------------------------------

def sqlite_path(scale: str) -> Path:
    return CACHE_DIR / f"{scale.lower()}-{fingerprint()}.sqlite3"


def ensure_sqlite(scale: str, log=print) -> Path:
    path = sqlite_path(scale)
    if path.exists():
        return path
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    for stale in CACHE_DIR.glob(f"{scale.lower()}-*.sqlite3*"):
        stale.unlink()
    partial = path.with_suffix(".building")
    partial.unlink(missing_ok=True)
    log(f"building SQLite {scale} ({path.name})")
    fill(f"sqlite:///{partial}", scale, log)
    engine = create_engine(f"sqlite:///{partial}")
    with engine.connect() as conn:  # fold the WAL into the file so one file is the whole database
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.exec_driver_sql("PRAGMA journal_mode=DELETE")
    engine.dispose()
    partial.rename(path)
    return path


def postgres_name(scale: str) -> str:
    return f"pst_bench_{scale.lower()}"


def _pg_comment(conn, name: str) -> str | None:
    return conn.scalar(text("SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                            "WHERE datname = :n"), {"n": name})


def _pg_exists(conn, name: str) -> bool:
    return bool(conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}))


def ensure_postgres(scale: str, log=print) -> str:
    name = postgres_name(scale)
    wanted = fingerprint()
    admin = _admin()
    try:
        with admin.connect() as conn:
            if _pg_exists(conn, name) and _pg_comment(conn, name) == wanted:
                return _pg_url(name)
            log(f"building PostgreSQL {scale} ({name})")
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        fill(_pg_url(name), scale, log)
        with admin.connect() as conn:  # only a complete build gets its fingerprint
            conn.execute(text(f"COMMENT ON DATABASE \"{name}\" IS '{wanted}'"))
    finally:
        admin.dispose()
    return _pg_url(name)


def ensure(scale: str, backend: str, log=print) -> str:
    """The URL of the cached database of this scale and backend, built if needed."""
    if backend == "sqlite":
        return f"sqlite:///{ensure_sqlite(scale, log)}"
    return ensure_postgres(scale, log)


@contextmanager
def working_copy(scale: str, backend: str, work_dir: Path, suffix: str = "run") -> Iterator[str]:
    """A throwaway copy of the cached database (benchmarks that write must not change the cache)."""
    source = ensure(scale, backend)
    if backend == "sqlite":
        path = work_dir / f"{scale.lower()}-{suffix}.sqlite3"
        shutil.copyfile(make_url(source).database, path)
        try:
            yield f"sqlite:///{path}"
        finally:
            for extra in ("", "-wal", "-shm"):
                Path(f"{path}{extra}").unlink(missing_ok=True)
        return
    name = f"{postgres_name(scale)}_{suffix}"
    admin = _admin()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_name(scale)}"'))
    try:
        yield _pg_url(name)
    finally:
        from db.engine import get_engine
        get_engine.cache_clear()  # our own pooled connections would block the DROP
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {name: conn.scalar(select(func.count()).select_from(T[name]))
                    for name in ("plans", "actions", "history")}
    finally:
        engine.dispose()


if __name__ == "__main__":  # python -m benchmarks.scales: build (or check) every database
    for backend in BACKENDS:
        for scale in SCALES:
            started = time.perf_counter()
            url = ensure(scale, backend)
            print(backend, scale, counts(url), f"{time.perf_counter() - started:.1f} s")
