"""The role matrix, on both backends: every role against every kind of write.

Each cell either lands (the write is visible afterwards) or is refused with an ``EditError``
in French and changes nothing at all (a fingerprint of the whole database: plans and their
revisions, history, actions, objectives, labels, snapshots, accounts, sessions, events,
settings, Bureau links).

One database per backend for the whole file (copied from the seeded template once): a refused
write changes nothing by definition, and every allowed write works on what its case prepared
(a new action, objective, snapshot, link...) or toggles a value, so the cells do not depend on
each other's order.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
from decimal import Decimal
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from db.models import (Account, Action, BureauLink, Indicator, IndicatorValue, Label, Meeting, OperationalObjective,
                       Plan, Snapshot, StrategicObjective)
from pst_data import accounts, importer, indicator_store, meetings, services, snapshots
from pst_data.rules.errors import EditError
from pst_data.services import RowEdit
from pst_data.services import accounts as account_writes
from pst_data.uow import Operator
from tests.conftest import TODAY
from tests.people import ALICE, ANAIS, BOB, CARLA, CHRIS, CLAIRE, DOMINIQUE, HYPOTHESIS, LEA

# One worker runs the whole file (make test: --dist loadgroup): one database per backend,
# not one per worker and backend.
pytestmark = pytest.mark.xdist_group("role_matrix")

SETUP = Operator("préparation des tests")
PLAN = "charleroi"  # the plan every cell writes to
LED = "1.1.1"  # the action Chris leads (linked by a directeur in the fixture)
NOT_LED = "1.1.2"  # an action of the same plan Chris does not lead
LEAD_NAME = "Chris Chef"  # as the plan's documents would name the chef de projet
QUICK_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

# role -> (the account writing, whether the target action is the one Chris leads)
ROLES = {
    "lecteur": (LEA, True),
    "chef_own": (CHRIS, True),
    "chef_other": (CHRIS, False),
    "dir_plan": (CARLA, True),  # directeur of charleroi only (set in the fixture)
    "dir_other": (DOMINIQUE, True),  # directeur of binche only
    "admin": (ALICE, True),
    "disabled": (HYPOTHESIS, True),  # a directeur of every plan, disabled in the fixture
    "must_change": (ANAIS, True),  # a directeur whose password was reset, not yet changed
}

# What a chef de projet updates on the actions they lead (and directeur and admin too).
CHEF_WRITES = ("progress", "status", "comment", "health", "measure", "bulk_progress", "undo_progress")
# Everything inside a plan: a directeur of that plan (and an admin).
DIRECTEUR_WRITES = (
    "title", "progress_and_title", "labels", "bulk_title", "undo_title", "create_action", "move_action", "delete_action",
    "create_os", "rename_os", "reorder_os", "delete_os", "create_oo", "rename_oo", "reorder_oo", "delete_oo",
    "snapshot_take", "snapshot_delete", "link_lead", "bureau_create", "bureau_revoke",
    "meeting_add", "follow_up_settings", "indicator_define",
    "import", "import_plan_fields",  # a directeur imports a file into the plan they direct
)
# Shared across plans or about the instance: only an admin.
ADMIN_WRITES = (
    "label_definition", "import_new_plan", "publish", "setting",
    "create_account", "update_account", "disable_account", "reset_password",
)
# The writes aimed at one existing action: only these get the "chef on an action of someone
# else" column (elsewhere it would repeat the chef's own column).
ACTION_TARGETED = frozenset({"progress", "status", "comment", "health", "measure", "bulk_progress", "undo_progress", "title",
                             "progress_and_title", "labels", "bulk_title", "undo_title", "move_action", "delete_action"})

# Known gap (pst_data/importer.py): an import that changes only the plan's own fields (title,
# notes, period...) or creates a plan without objectives bumps the revision but writes no
# history row, so the journal does not say who did it.
UNJOURNALED = frozenset({"import_plan_fields", "import_new_plan"})

ALLOWED = {
    **{kind: {"chef_own", "dir_plan", "admin"} for kind in CHEF_WRITES},
    **{kind: {"dir_plan", "admin"} for kind in DIRECTEUR_WRITES},
    **{kind: {"admin"} for kind in ADMIN_WRITES},
}


def expected_reason(role: str, kind: str) -> str:
    """A part of the French sentence a refused cell must show."""
    if role == "disabled":
        return "Votre compte est désactivé"
    if role == "must_change":
        return "Changez d'abord le mot de passe reçu"
    if kind.startswith("import") and role in ("lecteur", "chef_own", "chef_other"):
        return "Seul un administrateur, ou un directeur pour son plan, peut importer un plan."
    if kind == "import_new_plan":
        return "Seul un administrateur peut créer un nouveau plan"
    if kind.startswith("import") and role == "dir_other":
        return "Votre compte n'a pas accès à ce plan : rien n'a été importé."
    if kind in ADMIN_WRITES:
        return "Seul un administrateur"
    if role == "lecteur":
        return "Votre rôle (lecteur) permet de consulter, pas de modifier."
    if role == "dir_other":
        return "Votre compte n'a pas accès à ce plan."
    if role == "chef_other":
        return "Vous n'êtes pas le chef de projet de cette action"
    assert role == "chef_own", role
    return "chef de projet"  # « ... ses actions ; la structure ... » or « ... le taux, le statut ... »


CASES = [
    pytest.param(role, kind, id=f"{kind}-{role}")
    for kind in CHEF_WRITES + DIRECTEUR_WRITES + ADMIN_WRITES
    for role in ROLES
    if role != "chef_other" or kind in ACTION_TARGETED
]


# -- the database of this file ----------------------------------------------------------

@dataclass
class World:
    engine: Any
    plan_id: int
    other_plan_id: int
    led_id: int
    not_led_id: int
    counter: Any
    # What cases prepared (a scratch action, a snapshot to delete...), reused by the next cells
    # while nothing lands: a refused write changes nothing, so the preparation still holds.
    # Emptied after every allowed write.
    prepared: dict = field(default_factory=dict)

    def next(self) -> int:
        return next(self.counter)

    def once(self, key, make: Callable[[], Any]) -> Any:
        if key not in self.prepared:
            self.prepared[key] = make()
        return self.prepared[key]


def _one(engine, statement):
    with Session(engine) as s:
        return s.scalars(statement).one()


def _action(engine, action_id: int) -> Action | None:
    with Session(engine) as s:
        found = s.get(Action, action_id)
        if found is not None:
            found.label_names = sorted(label.name for label in found.labels)
        return found


def _action_by_code(engine, code: str) -> Action:
    return _one(engine, select(Action).join(OperationalObjective).join(StrategicObjective).join(Plan)
                .where(Plan.slug == PLAN, Action.code == code))


@pytest.fixture(scope="module")
def world(backend, seeded_template_url) -> World:
    engine = backend.engine(backend.new_url(template=seeded_template_url))
    plan_id = _one(engine, select(Plan.id).where(Plan.slug == PLAN))
    other_plan_id = _one(engine, select(Plan.id).where(Plan.slug == "binche"))
    led, not_led = _action_by_code(engine, LED), _action_by_code(engine, NOT_LED)
    # No charleroi action names a chef de projet in the source document: one is named here,
    # then a directeur links that name to Chris's account, as the Administration page does.
    services.update_action(engine, led.id, led.version, {"project_lead": LEAD_NAME}, SETUP)
    assert accounts.link_lead(engine, BOB, plan_id, LEAD_NAME, CHRIS.account_id) == 1
    accounts.update_account(engine, SETUP, CARLA.login, plans=[PLAN])
    accounts.set_active(engine, SETUP, HYPOTHESIS.login, False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(account_writes, "HASHER", QUICK_HASHER)
        accounts.reset_password(engine, SETUP, ANAIS.login)
    assert _action(engine, led.id).lead_account_id == CHRIS.account_id
    assert _action(engine, not_led.id).lead_account_id is None
    yield World(engine, plan_id, other_plan_id, led.id, not_led.id, itertools.count(1))
    engine.dispose()


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch):
    """Creating an account or resetting a password hashes with argon2: the same algorithm
    with small costs here (test_accounts.py checks the real parameters)."""
    monkeypatch.setattr(account_writes, "HASHER", QUICK_HASHER)  # where the writes look it up


# table -> the columns whose values a write could change (one text line per row, all tables in
# one query: a single round trip, as cheap on PostgreSQL as on SQLite)
FINGERPRINT = {
    "plans": "id slug revision title notes published published_names stale_after_days reminder_days_before"
             " reminder_text",
    "meetings": "id plan_id kind held_on",
    "indicators": "id label version",
    "indicator_values": "id indicator_id measured_on value",
    "history": "count(*) max(id)",  # rows are only ever added
    "actions": "id operational_objective_id code title version progress status comment project_lead"
               " lead_account_id position updated_at health health_reason",
    "action_labels": "action_id label_id",
    "strategic_objectives": "id plan_id code title position version",
    "operational_objectives": "id strategic_objective_id code title position version",
    "labels": "id name colour description",
    "snapshots": "id plan_id name",
    "snapshot_actions": "count(*) max(id)",
    "accounts": "id login name role active all_plans must_change_password password_hash failed_logins"
                " locked_until",
    "account_plans": "account_id plan_id",
    "account_sessions": "id ended_at",
    "account_events": "id event subject",
    "settings": "key value",
    "bureau_links": "id label revoked_at",
}
FINGERPRINT_SQL = " UNION ALL ".join(
    f"SELECT '{table}' || " + " || '|' || ".join(f"COALESCE(CAST({c} AS TEXT), '-')" for c in columns.split())
    + f" FROM {table}"
    for table, columns in FINGERPRINT.items()
)


def fingerprint(engine) -> list[str]:
    """Everything a write could change, in one comparable value."""
    with engine.connect() as conn:
        return sorted(conn.execute(text(FINGERPRINT_SQL)).scalars())


def _last_ids(engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (conn.execute(text("SELECT COALESCE(max(id), 0) FROM history")).scalar(),
                conn.execute(text("SELECT COALESCE(max(id), 0) FROM account_events")).scalar())


def _authors_since(engine, history_id: int, event_id: int) -> set[tuple[int | None, str]]:
    """(account id, name) of the history rows written since; account events give only a name:
    the account is looked up by it."""
    with engine.connect() as conn:
        rows = set(conn.execute(text("SELECT DISTINCT account_id, changed_by FROM history WHERE id > :i"),
                                {"i": history_id}).all())
        rows |= set(conn.execute(text("SELECT DISTINCT a.id, e.by FROM account_events e LEFT JOIN accounts a"
                                      " ON a.name = e.by WHERE e.id > :i"), {"i": event_id}).all())
    return {tuple(r) for r in rows}


# -- the writes: each prepares what it needs (as the command line's operator), and returns
# the write itself (as ``actor``) and how to see that it landed ------------------------------

Write = Callable[[], Any]
Landed = Callable[[], bool]
CASE_BUILDERS: dict[str, Callable[[World, Any, int], tuple[Write, Landed]]] = {}


def case(kind: str):
    def register(builder):
        CASE_BUILDERS[kind] = builder
        return builder
    return register


def _oo(w: World, code: str) -> OperationalObjective:
    return _one(w.engine, select(OperationalObjective).join(StrategicObjective)
                .where(StrategicObjective.plan_id == w.plan_id, OperationalObjective.code == code))


def _os(w: World, code: str) -> StrategicObjective:
    return _one(w.engine, select(StrategicObjective)
                .where(StrategicObjective.plan_id == w.plan_id, StrategicObjective.code == code))


def _scratch_action(w: World, led: bool, n: int) -> Action:
    """A new action of the plan, led by Chris or not, for a case that moves or deletes one."""
    action_id = w.once(("scratch action", led), lambda: _new_scratch_action(w, led, n))
    return _action(w.engine, action_id)


def _new_scratch_action(w: World, led: bool, n: int) -> int:
    values = {"code": f"8.8.{n}", "title": f"Action de test {n}"}
    if led:
        values["project_lead"] = LEAD_NAME
    created = services.create_action(w.engine, _oo(w, "1.1").id, values, SETUP)
    if led:
        accounts.link_lead(w.engine, SETUP, w.plan_id, LEAD_NAME, CHRIS.account_id)
    assert (_action(w.engine, created.action_id).lead_account_id == CHRIS.account_id) == led
    return created.action_id


def _field_case(field: str, value_for: Callable[[Action, int], Any], *, bulk: bool = False):
    def build(w: World, actor, target_id: int, n: int):
        a = _action(w.engine, target_id)
        new = value_for(a, n)
        if bulk:
            def write():
                return services.bulk_update(w.engine, [RowEdit(a.id, a.version, {field: new}, a.code)], actor)
        else:
            def write():
                return services.update_action(w.engine, a.id, a.version, {field: new}, actor)
        return write, lambda: getattr(_action(w.engine, target_id), field) == new
    return build


def _progress(a: Action, n: int) -> int:
    return 30 + n % 60 if a.progress != 30 + n % 60 else 29


for _kind, _field, _value, _bulk in (
    ("progress", "progress", _progress, False),
    ("status", "status", lambda a, n: "Suspendu" if a.status != "Suspendu" else "En cours", False),
    ("comment", "comment", lambda a, n: f"Point d'avancement n° {n}", False),
    ("title", "title", lambda a, n: f"Intitulé revu n° {n}", False),
    ("bulk_progress", "progress", _progress, True),
    ("bulk_title", "title", lambda a, n: f"Intitulé du tableau n° {n}", True),
):
    CASE_BUILDERS[_kind] = _field_case(_field, _value, bulk=_bulk)


@case("health")
def _health(w, actor, target_id, n):
    a = _action(w.engine, target_id)
    changes = {"health": "À surveiller" if a.health != "À surveiller" else "En difficulté",
               "health_reason": f"Raison n° {n}"}

    def write():
        return services.update_action(w.engine, a.id, a.version, changes, actor)
    return write, lambda: _action(w.engine, target_id).health_reason == changes["health_reason"]


@case("measure")
def _measure(w, actor, target_id, n):
    indicator_id = w.once(("indicator of", target_id), lambda: indicator_store.save_indicator(
        w.engine, SETUP, {"label": f"Indicateur de l'action {target_id}", "target": "100"}, action_id=target_id))
    value = Decimal(10 + n)

    def write():
        return indicator_store.record_value(w.engine, actor, indicator_id, dt.date(2026, 1, 1), value)

    def landed():
        with Session(w.engine) as s:
            return s.scalar(select(IndicatorValue.value).where(IndicatorValue.indicator_id == indicator_id)) == value
    return write, landed


@case("indicator_define")
def _indicator_define(w, actor, target_id, n):
    label = f"Indicateur n° {n}"
    oo_id = _oo(w, "1.1").id

    def write():
        return indicator_store.save_indicator(w.engine, actor, {"label": label}, oo_id=oo_id)

    def landed():
        with Session(w.engine) as s:
            return s.scalar(select(Indicator.id).where(Indicator.label == label)) is not None
    return write, landed


@case("meeting_add")
def _meeting_add(w, actor, target_id, n):
    day = dt.date(2027, 1, 1) + dt.timedelta(days=n)

    def write():
        return meetings.add_meeting(w.engine, actor, w.plan_id, "bureau", day)

    def landed():
        with Session(w.engine) as s:
            return s.scalar(select(Meeting.id).where(Meeting.plan_id == w.plan_id, Meeting.held_on == day)) is not None
    return write, landed


@case("follow_up_settings")
def _follow_up_settings(w, actor, target_id, n):
    days = 10 + n

    def write():
        return meetings.save_follow_up_settings(w.engine, actor, w.plan_id, stale_after_days=days,
                                                reminder_days_before=7, reminder_text=None)
    return write, lambda: _one(w.engine, select(Plan.stale_after_days).where(Plan.id == w.plan_id)) == days


@case("progress_and_title")
def _progress_and_title(w, actor, target_id, n):
    """A taux the chef may set, sent with a title they may not: all or nothing."""
    a = _action(w.engine, target_id)
    changes = {"progress": _progress(a, n), "title": f"Intitulé et taux n° {n}"}

    def write():
        return services.update_action(w.engine, a.id, a.version, changes, actor)

    def landed():
        after = _action(w.engine, target_id)
        return (after.progress, after.title) == (changes["progress"], changes["title"])
    return write, landed


@case("labels")
def _labels(w, actor, target_id, n):
    a = _action(w.engine, target_id)
    new = sorted(set(a.label_names) ^ {"PPI"})

    def write():
        return services.update_action(w.engine, a.id, a.version, {"labels": new}, actor)
    return write, lambda: _action(w.engine, target_id).label_names == new


def _undo_case(field: str, value_for):
    def build(w, actor, target_id, n):
        def change() -> tuple[Any, str]:
            a = _action(w.engine, target_id)
            old, new = getattr(a, field), value_for(a, n)
            return old, services.update_action(w.engine, a.id, a.version, {field: new}, SETUP).change_id

        old, change_id = w.once(("undo", field, target_id), change)

        def write():
            return services.undo_change(w.engine, change_id, actor)
        return write, lambda: getattr(_action(w.engine, target_id), field) == old
    return build


CASE_BUILDERS["undo_progress"] = _undo_case("progress", _progress)
CASE_BUILDERS["undo_title"] = _undo_case("title", lambda a, n: f"Intitulé à annuler n° {n}")


@case("create_action")
def _create_action(w, actor, target_id, n):
    oo_id, code = _oo(w, "1.2").id, f"1.2.{90 + n}"

    def write():
        return services.create_action(w.engine, oo_id, {"code": code, "title": "Nouvelle action"}, actor)

    def landed():
        with Session(w.engine) as s:
            return s.scalar(select(Action.id).where(Action.operational_objective_id == oo_id,
                                                    Action.code == code)) is not None
    return write, landed


@case("move_action")
def _move_action(w, actor, target_id, n):
    a = _scratch_action(w, target_id == w.led_id, n)
    target_oo = _oo(w, "1.2").id

    def write():
        return services.move_action(w.engine, a.id, a.version, target_oo, actor)
    return write, lambda: _action(w.engine, a.id).operational_objective_id == target_oo


@case("delete_action")
def _delete_action(w, actor, target_id, n):
    a = _scratch_action(w, target_id == w.led_id, n)

    def write():
        return services.delete_action(w.engine, a.id, a.version, actor)
    return write, lambda: _action(w.engine, a.id) is None


def _objective_exists(w: World, level: str, code: str) -> Callable[[], bool]:
    def landed():
        model = StrategicObjective if level == "os" else OperationalObjective
        with Session(w.engine) as s:
            return s.scalar(select(model.id).where(model.code == code)) is not None
    return landed


@case("create_os")
def _create_os(w, actor, target_id, n):
    code = f"OS-T{n}"

    def write():
        return services.save_objective(w.engine, "os", actor, parent_id=w.plan_id, code=code,
                                       title="Un objectif de test")
    return write, _objective_exists(w, "os", code)


@case("create_oo")
def _create_oo(w, actor, target_id, n):
    code, parent = f"1.T{n}", _os(w, "1").id

    def write():
        return services.save_objective(w.engine, "oo", actor, parent_id=parent, code=code,
                                       title="Un objectif opérationnel de test")
    return write, _objective_exists(w, "oo", code)


def _rename_case(level: str, code: str):
    def build(w, actor, target_id, n):
        obj = _os(w, code) if level == "os" else _oo(w, code)
        model, title = type(obj), f"Intitulé d'objectif revu n° {n}"

        def write():
            return services.save_objective(w.engine, level, actor, objective_id=obj.id, code=obj.code,
                                           title=title, expected_version=obj.version)

        def landed():
            with Session(w.engine) as s:
                return s.get(model, obj.id).title == title
        return write, landed
    return build


CASE_BUILDERS["rename_os"] = _rename_case("os", "2")
CASE_BUILDERS["rename_oo"] = _rename_case("oo", "2.1")


def _reorder_case(level: str):
    def build(w, actor, target_id, n):
        if level == "os":
            model, parent = StrategicObjective, StrategicObjective.plan_id == w.plan_id
        else:
            model, parent = OperationalObjective, OperationalObjective.strategic_objective_id == _os(w, "3").id
        with Session(w.engine) as s:
            ids = list(s.scalars(select(model.id).where(parent).order_by(model.position, model.id)))
        assert len(ids) >= 2
        wanted = [ids[1], ids[0], *ids[2:]]

        def write():
            return services.reorder_objectives(w.engine, level, wanted, actor)

        def landed():
            with Session(w.engine) as s:
                return list(s.scalars(select(model.id).where(parent).order_by(model.position, model.id))) == wanted
        return write, landed
    return build


CASE_BUILDERS["reorder_os"] = _reorder_case("os")
CASE_BUILDERS["reorder_oo"] = _reorder_case("oo")


def _delete_objective_case(level: str):
    def build(w, actor, target_id, n):
        def make() -> tuple[int, int, int]:
            os_id = services.save_objective(w.engine, "os", SETUP, parent_id=w.plan_id, code=f"OS-S{n}",
                                            title="Objectif à supprimer")
            oo_id = services.save_objective(w.engine, "oo", SETUP, parent_id=os_id, code=f"S{n}.1",
                                            title="Objectif opérationnel à supprimer")
            return os_id, oo_id, services.create_action(
                w.engine, oo_id, {"code": f"S{n}.1.1", "title": "Action sous l'objectif"}, SETUP).action_id

        os_id, oo_id, action_id = w.once(("objective to delete", level), make)
        model, obj_id = (StrategicObjective, os_id) if level == "os" else (OperationalObjective, oo_id)

        def write():
            return services.delete_objective(w.engine, level, obj_id, actor, expected_version=1,
                                             expected_actions={action_id: 1})

        def landed():
            with Session(w.engine) as s:
                return s.get(model, obj_id) is None and s.get(Action, action_id) is None
        return write, landed
    return build


CASE_BUILDERS["delete_os"] = _delete_objective_case("os")
CASE_BUILDERS["delete_oo"] = _delete_objective_case("oo")


def _snapshot_named(w: World, name: str) -> int | None:
    with Session(w.engine) as s:
        return s.scalar(select(Snapshot.id).where(Snapshot.plan_id == w.plan_id, Snapshot.name == name))


@case("snapshot_take")
def _snapshot_take(w, actor, target_id, n):
    name = f"Instantané de test {n}"

    def write():
        return snapshots.take_snapshot(w.engine, w.plan_id, name, actor, TODAY)
    return write, lambda: _snapshot_named(w, name) is not None


@case("snapshot_delete")
def _snapshot_delete(w, actor, target_id, n):
    name = f"Instantané à supprimer {n}"
    name, snapshot_id = w.once("snapshot to delete", lambda: (
        name, snapshots.take_snapshot(w.engine, w.plan_id, name, SETUP, TODAY)))

    def write():
        return snapshots.delete_snapshot(w.engine, snapshot_id, actor)
    return write, lambda: _snapshot_named(w, name) is None


@case("link_lead")
def _link_lead(w, actor, target_id, n):
    lead = f"Cheffe de projet n° {n}"
    lead, action_id = w.once("action to link", lambda: (lead, services.create_action(
        w.engine, _oo(w, "1.3").id, {"code": f"1.3.{90 + n}", "title": "Action à relier", "project_lead": lead},
        SETUP).action_id))

    def write():
        return accounts.link_lead(w.engine, actor, w.plan_id, lead, CHRIS.account_id)
    return write, lambda: _action(w.engine, action_id).lead_account_id == CHRIS.account_id


def _link(w: World, label: str) -> BureauLink | None:
    with Session(w.engine) as s:
        return s.scalars(select(BureauLink).where(BureauLink.label == label)).one_or_none()


@case("bureau_create")
def _bureau_create(w, actor, target_id, n):
    label = f"Écran du Bureau n° {n}"

    def write():
        return accounts.create_bureau_link(w.engine, actor, w.plan_id, label)
    return write, lambda: _link(w, label) is not None


@case("bureau_revoke")
def _bureau_revoke(w, actor, target_id, n):
    label = f"Écran à révoquer n° {n}"
    label, token = w.once("link to revoke", lambda: (label, accounts.create_bureau_link(w.engine, SETUP, w.plan_id, label)))
    link_id = _link(w, label).id

    def write():
        return accounts.revoke_bureau_link(w.engine, actor, link_id)
    return write, lambda: _link(w, label).revoked_at is not None and accounts.bureau_link_plan(w.engine, token) is None


@case("label_definition")
def _label_definition(w, actor, target_id, n):
    name = f"Label de test {n}"

    def write():
        return services.save_label(w.engine, actor, name, "#1f77b4", "Un label de test")

    def landed():
        with Session(w.engine) as s:
            return s.scalar(select(Label.id).where(Label.name == name)) is not None
    return write, landed


def _export(w: World) -> dict:
    def export() -> dict:
        with Session(w.engine) as s:
            return importer.export_plan(s, PLAN)
    return copy.deepcopy(w.once("export", export))


def _plan_title(w: World, slug: str = PLAN) -> str | None:
    with Session(w.engine) as s:
        return s.scalar(select(Plan.title).where(Plan.slug == slug))


@case("import")
def _import(w, actor, target_id, n):
    data, title = _export(w), f"Intitulé importé n° {n}"
    [target] = [a for os_ in data["strategic_objectives"] for oo in os_["operational_objectives"]
                for a in oo["actions"] if a["code"] == "1.1.3"]
    target["title"] = title

    def write():
        return importer.import_plan(w.engine, data, actor)
    return write, lambda: _action_by_code(w.engine, "1.1.3").title == title


@case("import_plan_fields")
def _import_plan_fields(w, actor, target_id, n):
    """A file that changes only the plan's own fields (its title): no action, no history row."""
    data, title = _export(w), f"Programme stratégique (version {n})"
    data["title"] = title

    def write():
        return importer.import_plan(w.engine, data, actor)
    return write, lambda: _plan_title(w) == title


@case("import_new_plan")
def _import_new_plan(w, actor, target_id, n):
    """A new plan without any objective yet."""
    data = _export(w)
    data.update(slug=f"nouveau-plan-{n}", title="Un nouveau plan", strategic_objectives=[], stated_totals={})

    def write():
        return importer.import_plan(w.engine, data, actor)
    return write, lambda: _plan_title(w, data["slug"]) == "Un nouveau plan"


@case("publish")
def _publish(w, actor, target_id, n):
    with Session(w.engine) as s:
        published = not s.get(Plan, w.plan_id).published

    def write():
        return accounts.publish_plan(w.engine, actor, w.plan_id, published, False)

    def landed():
        with Session(w.engine) as s:
            return s.get(Plan, w.plan_id).published == published
    return write, landed


def _anonymous_read(w: World) -> bool:
    with Session(w.engine) as s:
        return bool(accounts.setting(s, "anonymous_read"))


@case("setting")
def _setting(w, actor, target_id, n):
    value = not _anonymous_read(w)

    def write():
        return accounts.set_setting(w.engine, actor, "anonymous_read", value)
    return write, lambda: _anonymous_read(w) == value


def _account(w: World, login: str) -> Account | None:
    with Session(w.engine) as s:
        return s.scalars(select(Account).where(Account.login == login)).one_or_none()


@case("create_account")
def _create_account(w, actor, target_id, n):
    login = f"nouveau.compte{n}"

    def write():
        return accounts.create_account(w.engine, actor, login, "lecteur", name=f"Nouveau {n}")
    return write, lambda: _account(w, login) is not None


@case("update_account")
def _update_account(w, actor, target_id, n):
    name = f"Paul Dubois ({n})"

    def write():
        return accounts.update_account(w.engine, actor, "paul.dubois", name=name)
    return write, lambda: _account(w, "paul.dubois").name == name


@case("disable_account")
def _disable_account(w, actor, target_id, n):
    active = not _account(w, "nadia.leroy").active

    def write():
        return accounts.set_active(w.engine, actor, "nadia.leroy", active)
    return write, lambda: _account(w, "nadia.leroy").active == active


@case("reset_password")
def _reset_password(w, actor, target_id, n):
    before = _account(w, "claire.martin").password_hash

    def write():
        return accounts.reset_password(w.engine, actor, "claire.martin")

    def landed():
        after = _account(w, "claire.martin")
        return after.password_hash != before and after.must_change_password
    return write, landed


def test_every_kind_of_write_has_a_case():
    assert set(CASE_BUILDERS) == set(ALLOWED)


@pytest.mark.parametrize(("role", "kind"), CASES)
def test_role_matrix(world, role, kind):
    actor, on_led = ROLES[role]
    build = CASE_BUILDERS[kind]
    write, landed = build(world, actor, world.led_id if on_led else world.not_led_id, world.next())
    if role in ALLOWED[kind]:
        assert not landed()
        since = _last_ids(world.engine)
        write()
        world.prepared.clear()
        assert landed(), f"{kind} by {role}: allowed, but it did not land"
        # In the journal (or the accounts' log) under the author's name and account.
        authors = _authors_since(world.engine, *since)
        if kind in UNJOURNALED:
            assert authors <= {(actor.account_id, actor.name)}
        else:
            assert authors == {(actor.account_id, actor.name)}
        return
    before = fingerprint(world.engine)
    with pytest.raises(EditError) as refused:
        write()
    reason = expected_reason(role, kind)
    assert any(reason in e for e in refused.value.errors), refused.value.errors
    assert not any("Traceback" in e or "Error" in e for e in refused.value.errors)
    assert fingerprint(world.engine) == before, f"{kind} by {role}: refused, yet something changed"
    assert not landed()


def test_a_chef_sees_only_their_plan(world):
    """Chris leads an action of charleroi; a binche action is out of reach even once he would
    be its chef de projet (the plan is not his)."""
    binche_action = _one(world.engine, select(Action).join(OperationalObjective).join(StrategicObjective)
                         .where(StrategicObjective.plan_id == world.other_plan_id).order_by(Action.id).limit(1))
    with Session(world.engine) as s, s.begin():  # as if linked by hand in the database
        s.get(Action, binche_action.id).lead_account_id = CHRIS.account_id
    binche_action = _action(world.engine, binche_action.id)
    before = fingerprint(world.engine)
    with pytest.raises(EditError, match="Votre compte n'a pas accès à ce plan"):
        services.set_progress(world.engine, binche_action.id, binche_action.version, 42, CHRIS)
    assert fingerprint(world.engine) == before


def test_a_lowered_role_applies_to_the_next_write(world):
    """The unit of work reads the account again: the role it had at login does not count."""
    accounts.update_account(world.engine, SETUP, "claire", role="lecteur")  # an admin, lowered
    a = _action(world.engine, world.led_id)
    before = fingerprint(world.engine)
    with pytest.raises(EditError, match="lecteur"):
        services.set_progress(world.engine, a.id, a.version, 12, CLAIRE)  # still says "admin"
    assert fingerprint(world.engine) == before


def test_a_chef_bulk_edit_with_one_row_of_someone_else_saves_nothing(world):
    led, other = _action(world.engine, world.led_id), _action(world.engine, world.not_led_id)
    before = fingerprint(world.engine)
    with pytest.raises(EditError) as refused:
        services.bulk_update(world.engine, [
            RowEdit(led.id, led.version, {"progress": _progress(led, 1)}, led.code),
            RowEdit(other.id, other.version, {"progress": _progress(other, 1)}, other.code),
        ], CHRIS)
    assert any("Vous n'êtes pas le chef de projet de cette action" in e for e in refused.value.errors)
    assert refused.value.errors[-1] == "Aucune modification n'a été enregistrée."
    assert fingerprint(world.engine) == before
