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


def test_labels_spelt_two_ways_become_one_at_the_upgrade(backend):
    """0011 gives labels a key (case, accents and spaces aside): the copies made before it are
    merged into the oldest, their actions keep the label, nothing else is lost."""
    engine = backend.engine(backend.new_url())
    upgrade(engine)
    seed(engine)
    migrate(engine, "downgrade", "0010")
    with engine.begin() as conn:
        first_two = conn.execute(text("SELECT id FROM actions ORDER BY id LIMIT 2")).scalars().all()
        ppi = conn.execute(text("SELECT id FROM labels WHERE name = 'PPI'")).scalar()
        conn.execute(text("INSERT INTO labels (name, colour) VALUES ('ppi', '#000000'), ('  etats GÉNÉRAUX', '#000000')"))
        copy = conn.execute(text("SELECT id FROM labels WHERE name = 'ppi'")).scalar()
        conn.execute(text("DELETE FROM action_labels WHERE action_id IN (:a, :b)"), {"a": first_two[0], "b": first_two[1]})
        conn.execute(text("INSERT INTO action_labels (action_id, label_id) VALUES (:a, :ppi), (:a, :copy), (:b, :copy)"),
                     {"a": first_two[0], "b": first_two[1], "ppi": ppi, "copy": copy})
    before = _counts(engine)
    upgrade(engine)
    with engine.connect() as conn:
        names = conn.execute(text("SELECT name FROM labels ORDER BY name")).scalars().all()
        tagged = conn.execute(text("SELECT action_id FROM action_labels WHERE label_id = :ppi ORDER BY action_id"),
                              {"ppi": ppi}).scalars().all()
    assert "ppi" not in names and "  etats GÉNÉRAUX" not in names and {"PPI", "États généraux"} <= set(names)
    assert tagged[:2] == sorted(first_two)
    assert _counts(engine)["labels on actions"] == before["labels on actions"] - 1  # (a, PPI) and (a, ppi) are one
