"""Upgrading a database that holds a plan keeps everything: on SQLite, altering the actions table
copies it (Alembic's batch mode), which must not cascade into the rows that point at actions."""

from __future__ import annotations

from sqlalchemy import text

from db.migrate import migrate, upgrade
from pst_data.seed import seed

COUNTS = {
    "actions": "SELECT count(*) FROM actions",
    "labels on actions": "SELECT count(*) FROM action_labels",
    "services of actions": "SELECT count(*) FROM action_services",
    "sub-actions": "SELECT count(*) FROM sub_actions",
    "history rows linked to an action": "SELECT count(*) FROM history WHERE action_id IS NOT NULL",
}


def _counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {what: conn.execute(text(sql)).scalar() for what, sql in COUNTS.items()}


def test_a_plan_survives_the_migrations_down_and_up_again(backend):
    engine = backend.engine(backend.new_url())
    upgrade(engine)
    seed(engine)
    before = _counts(engine)
    assert all(before.values()), before  # the demo plans have some of each
    migrate(engine, "downgrade", "0006")  # before the follow-up columns: 0007-0009 alter the actions table
    assert _counts(engine) == before
    upgrade(engine)
    assert _counts(engine) == before
    with engine.connect() as conn:  # the connections still enforce foreign keys afterwards
        if conn.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
