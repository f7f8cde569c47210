"""The write services on both backends: validation, no lost update, history, undo, bulk edits."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Action, History, OperationalObjective, Plan, StrategicObjective
from pst_data import accounts, services
from pst_data.rules.access import Actor
from pst_data.services import ConflictError, EditError, RowEdit
from pst_data.rules.errors import NotLoggedIn
from tests.people import ALICE, BOB, CARLA, CHRIS, CLAIRE, CLAIRE_MARTIN, DOMINIQUE, LEA, NADIA, PAUL

WRITERS = (ALICE, BOB, CARLA, CLAIRE, CLAIRE_MARTIN, NADIA, PAUL)


def action(engine, slug: str, code: str) -> Action:
    with Session(engine) as s:
        return s.scalars(select(Action).join(OperationalObjective).join(StrategicObjective).join(Plan)
                         .where(Plan.slug == slug, Action.code == code)).one()


def revision(engine, slug: str) -> int:
    with Session(engine) as s:
        return s.scalar(select(Plan.revision).where(Plan.slug == slug))


def history(engine, action_id: int) -> list[tuple]:
    with Session(engine) as s:
        return s.execute(select(History.kind, History.field, History.old_value, History.new_value,
                                History.changed_by, History.comment)
                         .where(History.action_id == action_id).order_by(History.id)).all()


def test_quick_edit_saves_records_and_bumps_revision(seeded_engine):
    a = action(seeded_engine, "binche", "1.1.1.1.1")
    before = revision(seeded_engine, "binche")
    result = services.set_progress(seeded_engine, a.id, a.version, 85, CLAIRE_MARTIN, "Marché attribué")
    assert result.changed == ["progress"] and result.version == a.version + 1
    after = action(seeded_engine, "binche", "1.1.1.1.1")
    assert after.progress == 85 and after.updated_by == "Claire Martin"
    assert history(seeded_engine, a.id)[-1] == ("update", "progress", "80", "85", "Claire Martin", "Marché attribué")
    assert revision(seeded_engine, "binche") == before + 1


@pytest.mark.parametrize(
    ("value", "message"),
    [(-1, "hors limites"), (101, "hors limites"), (33.5, "« 33.5 » invalide"), ("abc", "« abc » invalide")],
)
def test_bad_taux_is_refused_and_changes_nothing(seeded_engine, value, message):
    a = action(seeded_engine, "binche", "1.1.1.1.1")
    before = revision(seeded_engine, "binche")
    with pytest.raises(EditError) as caught:
        services.set_progress(seeded_engine, a.id, a.version, value, CLAIRE)
    assert message in caught.value.errors[0]
    assert action(seeded_engine, "binche", "1.1.1.1.1").progress == 80
    assert revision(seeded_engine, "binche") == before
    assert len(history(seeded_engine, a.id)) == 1  # only the import's entry


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": "x" * 10_000}, "« Intitulé » est trop long (10000 caractères, maximum 500)"),
        ({"title": ""}, "« Intitulé » est obligatoire"),
        ({"start": "2025", "end": "2021"}, "la fin (2021) précède le début (2025)"),
        ({"status": "Fini"}, "statut « Fini » inconnu"),
        ({"priority": "Urgente"}, "priorité « Urgente » inconnue"),
        ({"code": "x"}, "Champ non modifiable : code"),
    ],
)
def test_bad_fields_are_refused_in_french(seeded_engine, changes, message):
    a = action(seeded_engine, "binche", "1.1.1.1.1")
    with pytest.raises(EditError) as caught:
        services.update_action(seeded_engine, a.id, a.version, changes, CLAIRE)
    assert any(message in e for e in caught.value.errors), caught.value.errors
    assert action(seeded_engine, "binche", "1.1.1.1.1").version == a.version


def test_only_an_active_account_writes_and_a_typed_name_is_not_one(seeded_engine):
    a = action(seeded_engine, "binche", "1.1.1.1.1")
    with pytest.raises(TypeError):
        services.set_progress(seeded_engine, a.id, a.version, 90, "Directeur général")
    with pytest.raises(NotLoggedIn, match="Connectez-vous pour modifier : rien n'a été enregistré."):
        services.set_progress(seeded_engine, a.id, a.version, 90, None)  # a page whose session has no account
    ghost = Actor(account_id=999, login="ghost", name="Directeur général", role="admin")
    with pytest.raises(EditError, match="désactivé ou n'existe plus"):
        services.set_progress(seeded_engine, a.id, a.version, 90, ghost)
    accounts.set_active(seeded_engine, ALICE, "bob", False)
    with pytest.raises(EditError, match="désactivé ou n'existe plus"):
        services.set_progress(seeded_engine, a.id, a.version, 90, BOB)
    assert action(seeded_engine, "binche", "1.1.1.1.1").version == a.version


def test_stale_version_is_refused_with_the_other_persons_change(seeded_engine):
    a = action(seeded_engine, "binche", "1.1.1.1.1")
    services.set_progress(seeded_engine, a.id, a.version, 90, ALICE)
    with pytest.raises(ConflictError) as caught:
        services.set_progress(seeded_engine, a.id, a.version, 70, BOB)
    conflict = caught.value.conflicts[0]
    assert conflict.current_version == a.version + 1
    assert [(who, field, old, new) for _, who, field, old, new in conflict.their_changes] == [
        ("Alice", "Taux d'avancement", "80", "90")]
    assert "Alice : Taux d'avancement « 80 » → « 90 »" in conflict.message()
    # Bob re-applies his value on top of the current version.
    services.set_progress(seeded_engine, a.id, conflict.current_version, 70, BOB)
    assert action(seeded_engine, "binche", "1.1.1.1.1").progress == 70


def test_status_and_taux_stay_coherent(seeded_engine):
    a = action(seeded_engine, "saint-ghislain", "1.1.1")
    result = services.update_action(seeded_engine, a.id, a.version, {"status": "Finalisé"}, ALICE)
    assert "le taux d'avancement passe à 100 %" in result.notices[0]
    done = action(seeded_engine, "saint-ghislain", "1.1.1")
    assert (done.status, done.progress) == ("Finalisé", 100)
    result = services.set_progress(seeded_engine, a.id, done.version, 60, ALICE)
    again = action(seeded_engine, "saint-ghislain", "1.1.1")
    assert (again.status, again.progress) == ("En cours", 60)
    assert "repasse de « Finalisé » à « En cours »" in result.notices[0]
    assert services.suggests_finalising("En cours", 100)
    assert not services.suggests_finalising("Finalisé", 100)
    assert not services.suggests_finalising("En cours", 95)


def test_undo_is_a_new_change_and_refuses_to_drop_a_later_edit(seeded_engine):
    a = action(seeded_engine, "binche", "1.1.1.1.2")
    first = services.update_action(seeded_engine, a.id, a.version,
                                   {"progress": 55, "project_lead": "Nadia"}, ALICE)
    services.undo_change(seeded_engine, first.change_id, BOB)
    back = action(seeded_engine, "binche", "1.1.1.1.2")
    assert (back.progress, back.project_lead) == (a.progress, a.project_lead)
    kinds = Counter(row[0] for row in history(seeded_engine, a.id))
    assert kinds == {"import": 1, "update": 2, "undo": 2}

    second = services.set_progress(seeded_engine, a.id, back.version, 65, ALICE)
    services.set_progress(seeded_engine, a.id, second.version, 75, CARLA)
    with pytest.raises(EditError, match="a été modifié depuis"):
        services.undo_change(seeded_engine, second.change_id, BOB)
    assert action(seeded_engine, "binche", "1.1.1.1.2").progress == 75


def test_bulk_edit_is_all_or_nothing(seeded_engine):
    a = action(seeded_engine, "binche", "1.1.1.1.1")
    b = action(seeded_engine, "binche", "1.1.1.1.2")
    before = revision(seeded_engine, "binche")
    with pytest.raises(EditError) as caught:
        services.bulk_update(seeded_engine, [
            RowEdit(a.id, a.version, {"progress": 95, "status": "En cours"}),
            RowEdit(b.id, b.version, {"progress": 140}),
            RowEdit(b.id, b.version, {"end": "pas une date", "start": "2030"}),
        ], ALICE)
    assert any("140 hors limites" in e for e in caught.value.errors)
    assert caught.value.errors[-1] == "Aucune modification n'a été enregistrée."
    assert action(seeded_engine, "binche", "1.1.1.1.1").progress == 80
    assert revision(seeded_engine, "binche") == before

    results = services.bulk_update(seeded_engine, [
        RowEdit(a.id, a.version, {"progress": 95}),
        RowEdit(b.id, b.version, {"progress": 45, "project_lead": "Nadia"}),
    ], ALICE)
    assert [r.code for r in results.saved] == ["1.1.1.1.1", "1.1.1.1.2"] and results.conflicts == []
    assert len({r.change_id for r in results.saved}) == 1
    assert action(seeded_engine, "binche", "1.1.1.1.2").project_lead == "Nadia"


def test_create_move_and_delete_never_orphan(seeded_engine):
    with Session(seeded_engine) as s:
        oo = s.scalars(select(OperationalObjective).join(StrategicObjective).join(Plan)
                       .where(Plan.slug == "charleroi", OperationalObjective.code == "7.3")).one()
        other = s.scalars(select(OperationalObjective).join(StrategicObjective).join(Plan)
                          .where(Plan.slug == "charleroi", OperationalObjective.code == "7.4")).one()
    created = services.create_action(seeded_engine, oo.id, {
        "code": "7.3.9", "title": "Suivre le PST avec PST Pilot", "labels": ["PPI", "Numérique"],
        "priority": "Niveau 1", "end": "30/06/2027", "progress": 10,
        "sub_actions": [{"code": "7.3.9.a", "title": "Former les chefs de projet"}]}, ALICE)
    with pytest.raises(EditError, match="Le code 7.3.9 existe déjà"):
        services.create_action(seeded_engine, oo.id, {"code": "7.3.9", "title": "Doublon"}, ALICE)
    moved = services.move_action(seeded_engine, created.action_id, 1, other.id, ALICE)
    assert action(seeded_engine, "charleroi", "7.3.9").operational_objective_id == other.id
    services.delete_action(seeded_engine, created.action_id, moved.version, ALICE)
    with Session(seeded_engine) as s:
        assert s.get(Action, created.action_id) is None
        kinds = s.scalars(select(History.kind).where(History.action_code == "7.3.9",
                                                     History.action_id.is_(None))).all()
        assert "delete" in kinds and "create" in kinds  # the journal keeps them, unlinked
    count = services.delete_objective(seeded_engine, "os", oo.strategic_objective_id, ALICE)
    assert count == 17
    with Session(seeded_engine) as s:
        orphans = s.scalar(select(func.count(Action.id)).where(
            ~Action.operational_objective_id.in_(select(OperationalObjective.id))))
        assert orphans == 0
        assert s.scalar(select(func.count(StrategicObjective.id)).join(Plan)
                        .where(Plan.slug == "charleroi")) == 7


def test_objectives_create_rename_reorder(seeded_engine):
    with Session(seeded_engine) as s:
        plan_id = s.scalar(select(Plan.id).where(Plan.slug == "ecaussinnes"))
        first_ids = s.scalars(select(StrategicObjective.id).where(StrategicObjective.plan_id == plan_id)
                              .order_by(StrategicObjective.position)).all()
    new_id = services.save_objective(seeded_engine, "os", ALICE, parent_id=plan_id, code="7",
                                     title="Un CPAS numérique")
    with pytest.raises(EditError, match="porte déjà le code 7"):
        services.save_objective(seeded_engine, "os", ALICE, parent_id=plan_id, code="7", title="Autre")
    services.save_objective(seeded_engine, "os", ALICE, objective_id=new_id, code="7",
                            title="Un CPAS plus numérique")
    oo_id = services.save_objective(seeded_engine, "oo", ALICE, parent_id=new_id, code="7.1",
                                    title="Dématérialiser")
    services.reorder_objectives(seeded_engine, "os", [new_id, *first_ids], ALICE)
    with Session(seeded_engine) as s:
        order = s.scalars(select(StrategicObjective.code).where(StrategicObjective.plan_id == plan_id)
                          .order_by(StrategicObjective.position)).all()
        assert order[0] == "7" and s.get(OperationalObjective, oo_id).title == "Dématérialiser"
        assert s.get(StrategicObjective, new_id).title == "Un CPAS plus numérique"


SAVES_PER_THREAD = 10  # 200 saves in all: enough to interleave, a fifth of a minute on PostgreSQL


def _hammer(engine, targets, threads=20, per_thread=SAVES_PER_THREAD):
    """Every thread makes per_thread saves on its target, each from the version it last read."""
    accepted: list[tuple[int, int, int]] = []  # (action_id, value, version)
    refused = Counter()
    lock = threading.Lock()
    errors = []

    def worker(n: int):
        action_id = targets[n % len(targets)]
        for i in range(per_thread):
            try:
                with Session(engine) as s:
                    version, current = s.execute(select(Action.version, Action.progress)
                                                 .where(Action.id == action_id)).one()
                value = ((current or 0) + 1 + n) % 101  # always a real change from what was read
                result = services.set_progress(engine, action_id, version, value, WRITERS[n % len(WRITERS)])
                with lock:
                    accepted.append((action_id, value, result.version))
            except ConflictError:
                with lock:
                    refused[action_id] += 1
            except Exception as exc:  # anything else is a failure of the test
                errors.append(repr(exc))

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not errors, errors[:3]
    return accepted, refused


@pytest.mark.parametrize("shared", [True, False], ids=["same-action", "different-actions"])
def test_twenty_threads_lose_nothing(seeded_engine, shared):
    with Session(seeded_engine) as s:
        ids = s.scalars(select(Action.id).join(OperationalObjective).join(StrategicObjective)
                        .join(Plan).where(Plan.slug == "charleroi").order_by(Action.id).limit(20)).all()
    targets = ids[:1] if shared else ids
    accepted, refused = _hammer(seeded_engine, targets)
    assert len(accepted) + sum(refused.values()) == 20 * SAVES_PER_THREAD
    if not shared:
        assert sum(refused.values()) == 0  # different actions never conflict
    with Session(seeded_engine) as s:
        for action_id in targets:
            mine = sorted((v, val) for a, val, v in accepted if a == action_id)
            row = s.get(Action, action_id)
            # Versions are a gapless sequence: every accepted save is one version step...
            if mine:
                assert [v for v, _ in mine] == list(range(2, 2 + len(mine)))
                # ...the last accepted value is the one in the database...
                assert row.progress == mine[-1][1] and row.version == mine[-1][0]
            # ...and every accepted save, and only those, has its history row.
            rows = s.execute(select(History.version_after, History.new_value)
                             .where(History.action_id == action_id, History.kind == "update",
                                    History.field == "progress").order_by(History.version_after)).all()
            assert [(r.version_after, r.new_value) for r in rows] == [(v, str(val)) for v, val in mine]


def test_labels_are_created_renamed_and_validated(seeded_engine):
    from db.models import Label

    before = revision(seeded_engine, "charleroi")
    label_id = services.save_label(seeded_engine, CLAIRE, "  Plan de  cohésion sociale ", "#AA3366",
                                   "Actions financées par le PCS.")
    assert revision(seeded_engine, "charleroi") == before + 1 and revision(seeded_engine, "binche") > 0
    services.save_label(seeded_engine, CLAIRE, "PCS", "#aa3366", None, label_id)
    with Session(seeded_engine) as s:
        label = s.get(Label, label_id)
        assert (label.name, label.colour, label.description) == ("PCS", "#aa3366", None)
        count = s.scalar(select(func.count(Label.id)))
    for name, colour, message in [("ppi", "#123456", "Un label s'appelle déjà « PPI »"),
                                  ("", "#123456", "Donnez un nom au label"),
                                  ("Neuf", "rouge", "Couleur « rouge » invalide")]:
        with pytest.raises(EditError) as error:
            services.save_label(seeded_engine, CLAIRE, name, colour)
        assert any(message in m for m in error.value.errors)
    with pytest.raises(EditError, match="Seul un administrateur"):
        services.save_label(seeded_engine, BOB, "Neuf", "#123456")
    with Session(seeded_engine) as s:
        assert s.scalar(select(func.count(Label.id))) == count


def test_a_label_is_given_to_many_actions_at_once_and_taken_back(seeded_engine):
    from db.models import Label

    with Session(seeded_engine) as s:
        pgp = s.scalar(select(Label).where(Label.name == "PGP"))
    targets = [action(seeded_engine, "binche", code) for code in ("1.1.1.1.1", "1.1.1.1.2", "1.1.1.1.3")]
    # Someone gives 1.1.1.1.2 the label PPI after the page was drawn: it is kept.
    services.update_action(seeded_engine, targets[1].id, targets[1].version, {"labels": ["PPI"]}, BOB)
    before = revision(seeded_engine, "binche")
    saved = services.label_actions(seeded_engine, DOMINIQUE, pgp.id, [a.id for a in targets] * 2, give=True)
    assert [r.code for r in saved] == ["1.1.1.1.1", "1.1.1.1.2", "1.1.1.1.3"]
    assert len({r.change_id for r in saved}) == 1 and revision(seeded_engine, "binche") == before + 1
    with Session(seeded_engine) as s:
        labels = {a.code: sorted(label.name for label in s.get(Action, a.id).labels) for a in targets}
    assert labels["1.1.1.1.2"] == ["PGP", "PPI"] and labels["1.1.1.1.1"] == ["PGP"]
    assert history(seeded_engine, targets[0].id)[-1][:4] == ("update", "labels", "[]", '["PGP"]')
    # Again: nothing to do, nothing written.
    assert services.label_actions(seeded_engine, DOMINIQUE, pgp.id, [a.id for a in targets], give=True) == []
    assert revision(seeded_engine, "binche") == before + 1
    # Taken away from two of them.
    removed = services.label_actions(seeded_engine, DOMINIQUE, pgp.id, [targets[0].id, targets[1].id], give=False)
    assert [r.code for r in removed] == ["1.1.1.1.1", "1.1.1.1.2"]
    with Session(seeded_engine) as s:
        assert sorted(label.name for label in s.get(Action, targets[1].id).labels) == ["PPI"]
    # Undone as one change from the journal.
    services.undo_change(seeded_engine, removed[0].change_id, BOB)
    with Session(seeded_engine) as s:
        assert "PGP" in [label.name for label in s.get(Action, targets[0].id).labels]


def test_giving_a_label_is_a_directeur_s_and_a_vanished_label_is_refused(seeded_engine):
    from db.models import Label

    with Session(seeded_engine) as s:
        pgp = s.scalar(select(Label).where(Label.name == "PGP"))
    binche = action(seeded_engine, "binche", "1.1.1.1.1")
    charleroi = action(seeded_engine, "charleroi", "1.1.1")
    for who, target, message in [(LEA, binche, "lecteur"), (CHRIS, charleroi, "chef de projet"),
                                 (DOMINIQUE, charleroi, "accès")]:
        with pytest.raises(EditError) as error:
            services.label_actions(seeded_engine, who, pgp.id, [target.id], give=True)
        assert any(message in m for m in error.value.errors), error.value.errors
    with pytest.raises(EditError, match="Ce label n'existe plus"):
        services.label_actions(seeded_engine, BOB, 10_000, [binche.id], give=True)
    with Session(seeded_engine) as s:
        assert "PGP" not in [x.name for x in s.get(Action, binche.id).labels]


# -- label definitions: the admin's, one label whatever its spelling ---------------------------

def label_names(engine) -> list[str]:
    from db.models import Label

    with Session(engine) as s:
        return sorted(s.scalars(select(Label.name)))


def test_a_directeur_names_existing_labels_in_any_case_but_creates_none(seeded_engine):
    """The fiche's « Nouveaux labels » and an import created label definitions for a directeur
    (reserved to the admin), and « ppi » became a second label beside « PPI »."""
    from pst_data import importer

    labels_before = label_names(seeded_engine)
    target = action(seeded_engine, "binche", "1.1.1.1.1")
    with pytest.raises(EditError) as refused:
        services.update_action(seeded_engine, target.id, target.version, {"labels": ["PPI", "Plan climat"]}, BOB)
    assert refused.value.errors == [
        "Le label « Plan climat » n'existe pas, et seul un administrateur crée un label (il est partagé par tous "
        "les plans) : choisissez un label existant, ou demandez-le à un administrateur. Rien n'a été enregistré."]
    assert label_names(seeded_engine) == labels_before and action(seeded_engine, "binche", "1.1.1.1.1").version == target.version

    services.update_action(seeded_engine, target.id, target.version, {"labels": ["ppi", " PPI ", "pgp"]}, BOB)
    with Session(seeded_engine) as s:
        assert sorted(l.name for l in s.get(Action, target.id).labels) == ["PGP", "PPI"]
    assert history(seeded_engine, target.id)[-1][:4] == ("update", "labels", "[]", '["PGP", "PPI"]')
    assert label_names(seeded_engine) == labels_before

    with Session(seeded_engine) as s:
        plan = importer.export_plan(s, "binche")
    plan["strategic_objectives"][0]["operational_objectives"][0]["actions"][1]["labels"] = ["Plan climat"]
    with pytest.raises(EditError, match="Le label « Plan climat » n'existe pas"):
        importer.import_plan(seeded_engine, plan, DOMINIQUE)
    assert label_names(seeded_engine) == labels_before

    importer.import_plan(seeded_engine, plan, ALICE)  # the admin may define it in passing
    assert label_names(seeded_engine) == sorted([*labels_before, "Plan climat"])


def test_a_label_is_one_label_whatever_its_case_and_accents_on_both_databases(seeded_engine):
    """SQLite's lower() is ASCII-only: « états généraux » was a second label there, not on PostgreSQL."""
    for name in ("états généraux", "ETATS  GENERAUX", "Etats généraux"):
        with pytest.raises(EditError) as refused:
            services.save_label(seeded_engine, CLAIRE, name, "#123456")
        assert refused.value.errors == ["Un label s'appelle déjà « États généraux »."]
    target = action(seeded_engine, "charleroi", "1.1.1")
    services.update_action(seeded_engine, target.id, target.version, {"labels": ["états généraux"]}, ALICE)
    with Session(seeded_engine) as s:
        assert [l.name for l in s.get(Action, target.id).labels] == ["États généraux"]


def test_concurrent_bulk_saves_of_one_plan_are_merged_cell_by_cell(seeded_engine):
    """Two directeurs save the bulk table at the same moment, from the same versions, different
    cells: both are saved. On PostgreSQL the versions were read before the plan's lock, so the
    second save was refused whole instead of merged."""
    targets = [action(seeded_engine, "binche", code) for code in ("1.1.1.1.1", "1.1.1.1.2", "1.1.1.1.3")]
    for round_ in range(6):
        current = [action(seeded_engine, "binche", a.code) for a in targets]
        barrier = threading.Barrier(2)
        refused: list[list[str]] = []

        def save(actor, changes):
            edits = [RowEdit(a.id, a.version, changes, a.code) for a in current]
            barrier.wait()
            try:
                services.bulk_update(seeded_engine, edits, actor)
            except EditError as exc:
                refused.append(exc.errors)

        threads = [threading.Thread(target=save, args=(BOB, {"progress": str(10 + round_)})),
                   threading.Thread(target=save, args=(CLAIRE_MARTIN, {"comment": f"Tour {round_}"}))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert refused == []
        after = [action(seeded_engine, "binche", a.code) for a in targets]
        assert [(a.progress, a.comment) for a in after] == [(10 + round_, f"Tour {round_}")] * 3


def test_every_invalid_cell_of_a_bulk_save_is_named_at_once(seeded_engine):
    """A row with a wrong taux and a missing health reason: both named in one save (the reason
    was reported only after the taux was fixed)."""
    a = action(seeded_engine, "binche", "1.1.1.1.1")
    with pytest.raises(EditError) as caught:
        services.bulk_update(seeded_engine, [
            RowEdit(a.id, a.version, {"progress": "abc", "health": "En difficulté"}, a.code)], BOB)
    text = "\n".join(caught.value.errors)
    assert "Ligne 1.1.1.1.1 : " in text and "abc" in text
    assert "raison" in text.lower(), text
    assert action(seeded_engine, "binche", "1.1.1.1.1").version == a.version


# -- one chef de projet spelt two ways ------------------------------------------------------

def _leads(engine, slug: str) -> Counter:
    with Session(engine) as s:
        return Counter(s.scalars(select(Action.project_lead).join(OperationalObjective).join(StrategicObjective)
                                .join(Plan).where(Plan.slug == slug)))


def test_a_directeur_merges_two_spellings_of_a_chef_de_projet_and_undoes_it(seeded_engine):
    """Binche's document writes « CRECHE » and « CRÈCHE »: merged, every action names « CRÈCHE »,
    each recorded (who, old → new) in one change that « Annuler » takes back whole."""
    before = _leads(seeded_engine, "binche")
    assert before["CRECHE"] and before["CRÈCHE"]
    results = services.merge_leads(seeded_engine, DOMINIQUE, binche_id(seeded_engine), "CRECHE", "CRÈCHE")
    after = _leads(seeded_engine, "binche")
    assert after["CRECHE"] == 0 and after["CRÈCHE"] == before["CRECHE"] + before["CRÈCHE"]
    assert len(results) == before["CRECHE"] and len({r.change_id for r in results}) == 1
    with Session(seeded_engine) as s:
        rows = s.scalars(select(History).where(History.change_id == results[0].change_id)).all()
    assert {(r.field, r.old_value, r.new_value, r.account_id) for r in rows} == {
        ("project_lead", "CRECHE", "CRÈCHE", DOMINIQUE.account_id)}
    services.undo_change(seeded_engine, results[0].change_id, BOB)
    assert _leads(seeded_engine, "binche") == before


def binche_id(engine) -> int:
    with Session(engine) as s:
        return s.scalar(select(Plan.id).where(Plan.slug == "binche"))


@pytest.mark.parametrize(("who", "replaced", "kept", "message"), [
    (LEA, "CRECHE", "CRÈCHE", r"Votre rôle \(lecteur\) permet de consulter"),
    (BOB, "CRECHE", "CRECHE", "rien à fusionner"),
    (BOB, "  ", "CRÈCHE", "Choisissez le nom à remplacer"),
    (BOB, "Personne inconnue", "CRÈCHE", "n'a plus « Personne inconnue »"),
    (BOB, "CRECHE", "Personne inconnue", "n'a « Personne inconnue » pour chef de projet"),
])
def test_a_merge_refused_changes_nothing(seeded_engine, who, replaced, kept, message):
    before = _leads(seeded_engine, "binche")
    with pytest.raises(EditError, match=message):
        services.merge_leads(seeded_engine, who, binche_id(seeded_engine), replaced, kept)
    assert _leads(seeded_engine, "binche") == before


def test_two_spellings_linked_to_two_accounts_are_not_merged(seeded_engine):
    """The merged name could not say whose actions they are: the directeur links them first."""
    plan = binche_id(seeded_engine)
    accounts.link_lead(seeded_engine, BOB, plan, "CRECHE", DOMINIQUE.account_id)
    accounts.link_lead(seeded_engine, BOB, plan, "CRÈCHE", BOB.account_id)
    before = _leads(seeded_engine, "binche")
    with pytest.raises(EditError, match="reliés à des comptes différents"):
        services.merge_leads(seeded_engine, BOB, plan, "CRECHE", "CRÈCHE")
    assert _leads(seeded_engine, "binche") == before
    accounts.link_lead(seeded_engine, BOB, plan, "CRÈCHE", DOMINIQUE.account_id)  # the same person: merged
    assert services.merge_leads(seeded_engine, BOB, plan, "CRECHE", "CRÈCHE")
