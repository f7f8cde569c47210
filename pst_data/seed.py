"""First start: bring the schema up to date and load the five demo plans into an empty database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.engine import using_embedded_database
from db.migrate import upgrade
from db.models import Plan
from pst_data.exchange.plan_file import load_plan_file
from pst_data.importer import ImportReport
from pst_data.services.accounts import ensure_first_admin, set_setting
from pst_data.services.imports import import_plan
from pst_data.uow import Operator

PLANS_DIR = Path(__file__).resolve().parent / "plans"
# The app opens on the first one.
DEMO_SLUGS = ("charleroi", "binche", "bernissart", "saint-ghislain", "ecaussinnes")


def demo_plan_files() -> list[Path]:
    return [PLANS_DIR / f"{slug}.yaml" for slug in DEMO_SLUGS]


def seed(engine: Engine) -> list[ImportReport]:
    """Load (or update) the five demo plans; validates every file before writing any."""
    plans = [load_plan_file(path) for path in demo_plan_files()]
    return [import_plan(engine, plan) for plan in plans]


def ensure_ready(engine: Engine, demo: bool | None = None) -> tuple[str, str] | None:
    """Upgrade the schema; create the first admin account if there is none; on the embedded
    demo database (no PST_DATABASE_URL) with no plan yet, load the demo plans, readable without
    an account. A CPAS's own database (PostgreSQL) never gets the demo by surprise: it imports
    its plan (``python -m pst_data seed`` loads the demo on purpose). Returns the first admin's
    (login, password) when it was just created, to be told once."""
    upgrade(engine)
    created = ensure_first_admin(engine)
    if demo is None:
        demo = using_embedded_database()
    with Session(engine) as session:
        if not demo or session.scalar(select(func.count(Plan.id))):
            return created
    seed(engine)
    set_setting(engine, Operator("démonstration"), "anonymous_read", True)
    return created
