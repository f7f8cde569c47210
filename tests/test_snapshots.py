"""The plan "as of" a past day (rebuilt from the history) and named snapshots, on both backends."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from db.models import Base, History, Snapshot, SnapshotAction
from pst_data import queries, services, snapshots
from pst_data.as_of import plan_as_of
from pst_data.rules.clock import day_end_utc
from pst_data.rules.progress import weighted_mean
from pst_data.services import EditError
from tests.conftest import TODAY
from tests.test_services import action
from tests.people import CLAIRE, CLAIRE_MARTIN, PAUL



def plan(engine, slug: str) -> dict:
    with Session(engine) as s:
        return next(p for p in queries.list_plans(s) if p["slug"] == slug)


def backdate(engine, change_id: str, when: dt.datetime) -> None:
    with engine.begin() as conn:
        conn.execute(update(History).where(History.change_id == change_id).values(changed_at=when))


def binche_history(engine):
    """Binche as the tests need it: imported in 2021, then three years of edits.

    1.1.1.1.1: 80 (import) -> 85 (15/06/2022) -> 100 and Finalisé (01/03/2024);
    a new action 9.9 (01/05/2024); 1.1.1.1.2 deleted (01/06/2024)."""
    with engine.begin() as conn:
        conn.execute(update(History).values(changed_at=dt.datetime(2021, 1, 15, 9)))
    first = action(engine, "binche", "1.1.1.1.1")
    r1 = services.set_progress(engine, first.id, first.version, 85, CLAIRE_MARTIN, "Marché attribué")
    backdate(engine, r1.change_id, dt.datetime(2022, 6, 15, 10))
    r2 = services.update_action(engine, first.id, r1.version, {"progress": 100, "status": "Finalisé"}, PAUL)
    backdate(engine, r2.change_id, dt.datetime(2024, 3, 1, 10))
    r3 = services.create_action(engine, first.operational_objective_id,
                                {"code": "9.9", "title": "Nouvelle action", "progress": 10}, PAUL)
    backdate(engine, r3.change_id, dt.datetime(2024, 5, 1, 10))
    gone = action(engine, "binche", "1.1.1.1.2")
    services.delete_action(engine, gone.id, gone.version, PAUL)
    with engine.begin() as conn:
        conn.execute(update(History).where(History.kind == "delete").values(changed_at=dt.datetime(2024, 6, 1, 10)))
    return first.id, gone


def test_end_of_day_is_brussels_midnight():
    assert day_end_utc(dt.date(2024, 1, 31)) == dt.datetime(2024, 1, 31, 23)  # CET = UTC+1
    assert day_end_utc(dt.date(2024, 7, 31)) == dt.datetime(2024, 7, 31, 22)  # CEST = UTC+2


def test_plan_as_of_rebuilds_past_taux_statuses_and_membership(seeded_engine, plan_files):
    first_id, gone = binche_history(seeded_engine)
    binche = plan(seeded_engine, "binche")
    with Session(seeded_engine) as s:
        today = queries.actions_frame(s, binche, TODAY)
        in_2023 = plan_as_of(s, binche, today, dt.date(2023, 12, 31))
        in_2021 = plan_as_of(s, binche, today, dt.date(2021, 12, 31))
        in_2024 = plan_as_of(s, binche, today, dt.date(2024, 3, 1))
    row = lambda state: state.actions.set_index("id").loc[first_id]  # noqa: E731
    assert (row(in_2021)["progress"], row(in_2023)["progress"], row(in_2024)["progress"]) == (80, 85, 100)
    assert row(in_2023)["status"] != "Finalisé" and row(in_2024)["status"] == "Finalisé"
    assert in_2023.fiches[first_id]["progress"] == 85
    # 9.9 did not exist yet; 1.1.1.1.2 existed then but cannot be rebuilt: it is listed apart.
    assert "9.9" not in set(in_2023.actions["code"]) and in_2023.created_since == ["9.9"]
    assert list(in_2023.deleted_since["code"]) == ["1.1.1.1.2"]
    assert len(in_2023.actions) == 47 - 1
    # 2021: every taux is the imported one, so the mean is the file's without the deleted action.
    rates = {a["code"]: a["progress"] for os_ in plan_files["binche"]["strategic_objectives"]
             for oo in os_["operational_objectives"] for a in oo["actions"]}
    del rates[gone.code]
    assert weighted_mean(in_2021.actions["progress"]) == pytest.approx(weighted_mean(rates.values()))
    # A day late enough undoes nothing.
    with Session(seeded_engine) as s:
        now = plan_as_of(s, binche, today, TODAY)
    assert now.changes_undone == 0 and now.actions["progress"].equals(today["progress"])


def test_plan_as_of_puts_a_moved_action_back_in_its_old_objective(seeded_engine):
    with seeded_engine.begin() as conn:
        conn.execute(update(History).values(changed_at=dt.datetime(2023, 1, 15, 9)))
    a = action(seeded_engine, "charleroi", "1.1.1")
    with Session(seeded_engine) as s:
        target = queries.objectives_frame(s, plan(seeded_engine, "charleroi")["id"]).iloc[-1]
    old_oo = a.operational_objective_id
    result = services.move_action(seeded_engine, a.id, a.version, int(target["oo_id"]), PAUL)
    backdate(seeded_engine, result.change_id, dt.datetime(2025, 1, 10, 10))
    charleroi = plan(seeded_engine, "charleroi")
    with Session(seeded_engine) as s:
        today = queries.actions_frame(s, charleroi, TODAY)
        before = plan_as_of(s, charleroi, today, dt.date(2024, 12, 31))
        old = queries.objectives_frame(s, charleroi["id"]).set_index("oo_id").loc[old_oo]
    moved_now = today.set_index("id").loc[a.id]
    moved_then = before.actions.set_index("id").loc[a.id]
    assert moved_now["oo_code"] == target["oo_code"]
    assert (moved_then["oo_code"], moved_then["os_code"]) == (old["oo_code"], old["os_code"])
    assert before.actions["id"].iloc[0] == a.id  # back at the head of the plan, where it was
    assert before.imported_since == 0


def test_actions_imported_after_the_day_keep_their_imported_values(seeded_engine):
    binche = plan(seeded_engine, "binche")
    with Session(seeded_engine) as s:
        today = queries.actions_frame(s, binche, TODAY)
        long_ago = plan_as_of(s, binche, today, dt.date(2019, 1, 1))
    assert long_ago.imported_since == 47 and long_ago.actions["progress"].equals(today["progress"])


def test_snapshot_then_compare_shows_taux_then_now_and_difference(seeded_engine):
    binche = plan(seeded_engine, "binche")
    snapshot_id = snapshots.take_snapshot(seeded_engine, binche["id"], "  Évaluation   mi-législature 2021 ",
                                          CLAIRE_MARTIN, TODAY)
    first = action(seeded_engine, "binche", "1.1.1.1.1")
    services.set_progress(seeded_engine, first.id, first.version, 95, CLAIRE_MARTIN)
    with Session(seeded_engine) as s:
        listed = snapshots.list_snapshots(s, binche["id"])
        then = snapshots.snapshot_actions(s, snapshot_id)
        now = queries.actions_frame(s, binche, TODAY)
    assert list(listed["name"]) == ["Évaluation mi-législature 2021"] and listed["actions"].iloc[0] == 47
    per_os, per_action = snapshots.compare(then, now, binche["evaluation_bands"])
    row = per_action.set_index("code").loc["1.1.1.1.1"]
    assert (row["progress_then"], row["progress_now"], row["difference"]) == (80, 95, 15)
    assert per_action["difference"].fillna(0).abs().sum() == 15  # nothing else moved
    os1 = per_os.set_index("os_code").loc[now.set_index("code").loc["1.1.1.1.1", "os_code"]]
    n = os1["actions_now"]
    assert os1["difference"] == pytest.approx(15 / n)
    assert list(per_action["code"])[:3] == list(now["code"])[:3]


def test_snapshot_of_a_past_day_and_disappeared_actions(seeded_engine):
    first_id, gone = binche_history(seeded_engine)
    binche = plan(seeded_engine, "binche")
    snapshot_id = snapshots.take_snapshot(seeded_engine, binche["id"], "Fin 2023", CLAIRE_MARTIN, TODAY,
                                          as_of=dt.date(2023, 12, 31))
    with Session(seeded_engine) as s:
        then = snapshots.snapshot_actions(s, snapshot_id)
        now = queries.actions_frame(s, binche, TODAY)
        listed = snapshots.list_snapshots(s, binche["id"])
    assert listed["as_of"].iloc[0] == dt.date(2023, 12, 31)
    assert then.set_index("action_id").loc[first_id, "progress"] == 85
    _, per_action = snapshots.compare(then, now, binche["evaluation_bands"])
    notes = per_action.set_index("code")["note"]
    assert notes["9.9"] == "nouvelle"
    # 1.1.1.1.2 was already deleted when the snapshot was taken: it is in neither state.
    assert gone.code not in notes.index
    assert per_action.set_index("code").loc["1.1.1.1.1", "difference"] == 15


def test_deleting_an_action_after_a_snapshot_marks_it_disappeared(seeded_engine):
    binche = plan(seeded_engine, "binche")
    snapshot_id = snapshots.take_snapshot(seeded_engine, binche["id"], "Avant", CLAIRE_MARTIN, TODAY)
    gone = action(seeded_engine, "binche", "1.1.1.1.2")
    services.delete_action(seeded_engine, gone.id, gone.version, PAUL)
    with Session(seeded_engine) as s:
        then = snapshots.snapshot_actions(s, snapshot_id)
        now = queries.actions_frame(s, binche, TODAY)
    _, per_action = snapshots.compare(then, now)
    row = per_action.set_index("code").loc[gone.code]
    assert row["note"] == "disparue" and row["progress_then"] == gone.progress and pd.isna(row["progress_now"])


@pytest.mark.parametrize(("name", "author", "as_of", "message"), [
    ("", CLAIRE, None, "Donnez un nom à l'instantané"),
    ("x" * 121, CLAIRE, None, "Nom trop long (121 caractères, maximum 120)"),
    ("Bilan", CLAIRE, TODAY + dt.timedelta(days=1), "est dans le futur"),
    ("Existant", CLAIRE, None, "Un instantané s'appelle déjà « Existant »"),
    ("Bilan \ud800", CLAIRE, None, "Le nom de l'instantané contient un caractère de contrôle ou invalide (U+D800)"),
    ("Bilan \x1b", CLAIRE, None, "Le nom de l'instantané contient un caractère de contrôle ou invalide (U+001B)"),
])
def test_bad_snapshot_is_refused_in_french_and_writes_nothing(seeded_engine, name, author, as_of, message):
    binche = plan(seeded_engine, "binche")
    snapshots.take_snapshot(seeded_engine, binche["id"], "Existant", CLAIRE, TODAY)
    with Session(seeded_engine) as s:
        before = (s.scalar(select(func.count(Snapshot.id))), s.scalar(select(func.count(SnapshotAction.id))))
    with pytest.raises(EditError) as error:
        snapshots.take_snapshot(seeded_engine, binche["id"], name, author, TODAY, as_of=as_of)
    assert any(message in m for m in error.value.errors)
    with Session(seeded_engine) as s:
        after = (s.scalar(select(func.count(Snapshot.id))), s.scalar(select(func.count(SnapshotAction.id))))
    assert after == before == (1, 47)


def test_delete_snapshot(seeded_engine):
    binche = plan(seeded_engine, "binche")
    snapshot_id = snapshots.take_snapshot(seeded_engine, binche["id"], "Bilan", CLAIRE, TODAY)
    snapshots.delete_snapshot(seeded_engine, snapshot_id, CLAIRE)
    with Session(seeded_engine) as s:
        assert s.scalar(select(func.count(SnapshotAction.id))) == 0
    with pytest.raises(EditError, match="n'existe plus"):
        snapshots.delete_snapshot(seeded_engine, snapshot_id, CLAIRE)


def test_migrations_build_exactly_the_models(empty_engine):
    with empty_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
