"""Plan files: validation with French messages, import idempotence, updates with history,
export -> import round trip, and bad files that change nothing."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Action, History, Plan
from pst_data.exchange.plan_file import PlanFileError, load_plan_file, parse_plan_text, validate_plan
from pst_data.importer import export_plan, import_plan
from tests.people import MARIE

ROOT = Path(__file__).resolve().parent.parent

MINIMAL = {
    "format": 1,
    "slug": "essai",
    "organisation": "CPAS d'Essai",
    "title": "PST d'essai",
    "period": {"start": 2025, "end": 2030},
    "priority_scale": ["Haute", "Basse"],
    "strategic_objectives": [
        {"code": "1", "title": "Un CPAS proche", "operational_objectives": [
            {"code": "1.1", "title": "Accueillir", "actions": [
                {"code": "1.1.1", "title": "Guichet unique", "progress": 40, "priority": "Haute",
                 "labels": ["PPI"], "services": ["Accueil"], "end": "31/12/2026"},
                {"code": "1.1.2", "title": "Site internet", "progress": None},
            ]},
        ]},
    ],
}


def plan(**changes):
    data = copy.deepcopy(MINIMAL)
    data.update(changes)
    return data


def first_action(data):
    return data["strategic_objectives"][0]["operational_objectives"][0]["actions"][0]


def test_minimal_plan_normalises_every_key():
    normalised = validate_plan(plan())
    action = first_action(normalised)
    assert action["sub_actions"] == [] and action["weight"] == 1 and action["status"] is None
    assert normalised["evaluation_bands"][0] == {"label": "Réalisé", "min": 80, "max": 100}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: first_action(d).update(progress=140),
         "taux d'avancement 140 hors limites : il doit être entre 0 et 100 %"),
        (lambda d: first_action(d).update(progress=-1), "taux d'avancement -1 hors limites"),
        (lambda d: first_action(d).update(progress=33.5), "taux d'avancement « 33.5 » invalide"),
        (lambda d: first_action(d).update(progress="abc"), "taux d'avancement « abc » invalide"),
        (lambda d: first_action(d).update(code="1.1.2"), "code en double"),
        (lambda d: first_action(d).update(status="Fini"), "statut « Fini » inconnu"),
        (lambda d: first_action(d).update(priority="Urgente"), "priorité « Urgente » inconnue"),
        (lambda d: first_action(d).update(title="x" * 10_000), "« Intitulé » est trop long (10000 caractères"),
        (lambda d: first_action(d).update(start="2027", end="2026"), "la fin (2026) précède le début (2027)"),
        (lambda d: first_action(d).update(colour="rouge"), "clé inconnue : colour"),
        (lambda d: d.update(actions=[{"oo": "9.9", "code": "9.9.1", "title": "Perdue"}]),
         "rattachée à l'objectif opérationnel « 9.9 », qui n'existe pas dans le plan"),
        (lambda d: d.update(slug="Mon Plan"), "identifiant du plan 'Mon Plan' invalide"),
    ],
)
def test_bad_values_are_refused_in_french(mutate, message):
    data = plan()
    mutate(data)
    with pytest.raises(PlanFileError) as caught:
        validate_plan(data)
    assert any(message in error for error in caught.value.errors), caught.value.errors
    assert "Rien n'a été importé" in str(caught.value)


def test_flat_actions_attach_to_their_operational_objective():
    data = plan(actions=[{"oo": "1.1", "code": "1.1.3", "title": "Ajoutée à plat", "progress": 10}])
    normalised = validate_plan(data)
    codes = [a["code"] for a in normalised["strategic_objectives"][0]["operational_objectives"][0]["actions"]]
    assert codes == ["1.1.1", "1.1.2", "1.1.3"]
    assert "actions" not in normalised


def test_unreadable_files_are_refused(tmp_path):
    with pytest.raises(PlanFileError, match="n'est pas un YAML/JSON valide \\(ligne 2"):
        parse_plan_text("slug: x\n  title: [unclosed")
    binary = tmp_path / "plan.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(PlanFileError, match="n'est pas un texte UTF-8 lisible"):
        load_plan_file(binary)
    with pytest.raises(PlanFileError, match="n'existe pas"):
        load_plan_file(tmp_path / "absent.yaml")
    with pytest.raises(PlanFileError, match="doit décrire un plan"):
        parse_plan_text("- just\n- a list\n")


def _counts(engine):
    with Session(engine) as s:
        return (s.scalar(select(func.count(Plan.id))), s.scalar(select(func.count(Action.id))),
                s.scalar(select(func.count(History.id))))


def test_import_is_idempotent_and_updates_record_history(empty_engine):
    first = import_plan(empty_engine, plan())
    assert first.created and first.actions_created == 2
    counts = _counts(empty_engine)
    again = import_plan(empty_engine, plan())
    assert not again.changed and "rien n'a changé" in again.summary()
    assert _counts(empty_engine) == counts
    with Session(empty_engine) as s:
        revision = s.scalar(select(Plan.revision))

    changed = plan()
    first_action(changed)["progress"] = 65
    first_action(changed)["labels"] = ["PPI", "PGP"]
    changed["strategic_objectives"][0]["operational_objectives"][0]["actions"].pop()  # drop 1.1.2
    report = import_plan(empty_engine, changed, MARIE)
    assert (report.actions_updated, report.actions_deleted) == (1, 1)
    with Session(empty_engine) as s:
        action = s.scalars(select(Action).where(Action.code == "1.1.1")).one()
        assert action.progress == 65 and action.version == 2
        rows = s.execute(select(History.field, History.old_value, History.new_value, History.changed_by)
                         .where(History.kind == "update").order_by(History.field)).all()
        assert rows == [("labels", '["PPI"]', '["PGP", "PPI"]', "Marie Dupont"),
                        ("progress", "40", "65", "Marie Dupont")]
        deleted = s.execute(select(History.action_code, History.action_id)
                            .where(History.kind == "delete")).all()
        assert deleted == [("1.1.2", None)]  # the journal keeps the row, unlinked
        assert s.scalar(select(Plan.revision)) == revision + 1


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: first_action(d).update(progress=140),
        lambda d: d["strategic_objectives"][0]["operational_objectives"][0]["actions"].append(
            {"code": "1.1.1", "title": "Doublon"}),
        lambda d: d.update(actions=[{"oo": "7.7", "code": "7.7.1", "title": "Sans parent"}]),
    ],
)
def test_bad_file_changes_nothing_in_the_database(empty_engine, mutate):
    import_plan(empty_engine, plan())
    before = _counts(empty_engine)
    data = plan()
    first_action(data)["progress"] = 90  # a valid change that must not land either
    mutate(data)
    with pytest.raises(PlanFileError):
        import_plan(empty_engine, data)
    assert _counts(empty_engine) == before
    with Session(empty_engine) as s:
        assert s.scalar(select(Action.progress).where(Action.code == "1.1.1")) == 40


def test_export_then_import_gives_the_same_plan(seeded_engine, tmp_path):
    with Session(seeded_engine) as s:
        exported = export_plan(s, "binche")
    path = tmp_path / "binche.json"
    path.write_text(json.dumps(exported, ensure_ascii=False), encoding="utf-8")
    report = import_plan(seeded_engine, load_plan_file(path))
    assert not report.changed
    exported["slug"] = "binche-copie"
    import_plan(seeded_engine, exported)
    with Session(seeded_engine) as s:
        copy_ = export_plan(s, "binche-copie")
    assert {**copy_, "slug": "binche"} == export_plan(Session(seeded_engine), "binche")


def _cli(*args, url):
    return subprocess.run([sys.executable, "-m", "pst_data", *args], cwd=ROOT, capture_output=True,
                          text=True, env={"PST_DATABASE_URL": url, "PATH": "/usr/bin:/bin"}, timeout=120)


def test_cli_import_export_and_errors(cli, tmp_path):
    """The real `python -m pst_data` (a process of its own: its exit codes and its French on
    stderr); what follows its import runs in this process (``cli``), which is faster."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    help_ = _cli("--help", url=url)
    assert help_.returncode == 0 and "import" in help_.stdout and "export" in help_.stdout
    source = ROOT / "pst_data" / "plans" / "saint-ghislain.yaml"
    out = _cli("import", str(source), url=url)
    assert out.returncode == 0, out.stderr
    assert "34 actions importées" in out.stdout
    assert "rien n'a changé" in cli("import", str(source), url=url).stdout
    exported = cli("export", "--plan", "saint-ghislain", "--format", "json", url=url)
    data = json.loads(exported.stdout)
    assert data["organisation"] == "CPAS de Saint-Ghislain"
    first = data["strategic_objectives"][0]["operational_objectives"][0]["actions"][0]
    assert {"code", "title", "priority", "labels", "services", "partners", "project_lead", "start",
            "end", "status", "progress", "sub_actions"} <= set(first)
    assert first["code"] == "1.1.1" and first["status"] == "En cours"
    assert data == load_plan_file(source)

    bad = tmp_path / "bad.yaml"
    bad_data = yaml.safe_load(source.read_text(encoding="utf-8"))
    bad_data["strategic_objectives"][0]["operational_objectives"][0]["actions"][0]["progress"] = 140
    bad.write_text(yaml.safe_dump(bad_data, allow_unicode=True), encoding="utf-8")
    refused = _cli("import", str(bad), url=url)
    assert refused.returncode == 2
    assert "taux d'avancement 140 hors limites" in refused.stderr
    assert "Rien n'a été importé" in refused.stderr
    assert "Traceback" not in refused.stderr
    unknown = cli("export", "--plan", "nulle-part", url=url)
    assert unknown.returncode == 2 and "Plan « nulle-part » inconnu" in unknown.stderr


def test_a_preview_shows_every_change_and_writes_nothing(seeded_engine):
    """--dry-run's preview: the same import, rolled back; field by field, removals named."""
    from pst_data.importer import preview_import

    data = copy.deepcopy(load_plan_file(ROOT / "pst_data" / "plans" / "saint-ghislain.yaml"))
    actions = data["strategic_objectives"][0]["operational_objectives"][0]["actions"]
    actions[0]["progress"], actions[0]["title"] = 77, "Nouveau titre"
    gone = actions.pop(1)
    actions.append({**gone, "code": "1.1.99", "title": "Une nouvelle action"})
    before = _counts(seeded_engine)
    with Session(seeded_engine) as s:
        history = s.scalar(select(func.count(History.id)))
    preview = preview_import(seeded_engine, data, MARIE)
    text = preview.text()
    assert "serait mis à jour : 1 action ajoutée" in text
    assert "action 1.1.1 · Taux d'avancement : « 25 » → « 77 »" in text
    assert "action 1.1.1 · Intitulé : « " in text and "→ « Nouveau titre »" in text
    assert "À créer (1) :\n  action 1.1.99 « Une nouvelle action »" in text
    assert [(line.element, line.old) for line in preview.removals] == [("action 1.1.2", gone["title"])]
    assert _counts(seeded_engine) == before
    with Session(seeded_engine) as s:
        assert s.scalar(select(func.count(History.id))) == history


def test_cli_import_shows_a_dry_run_and_never_removes_silently(cli, tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    source = ROOT / "pst_data" / "plans" / "saint-ghislain.yaml"
    dry = cli("import", str(source), "--dry-run", url=url)
    assert dry.returncode == 0 and "serait créé : 34 actions" in dry.stdout and "rien n'a été écrit" in dry.stdout
    assert "34 actions importées" in cli("import", str(source), url=url).stdout  # nothing before: created now
    shorter = yaml.safe_load(source.read_text(encoding="utf-8"))
    removed = shorter["strategic_objectives"][0]["operational_objectives"][0]["actions"].pop(1)
    path = tmp_path / "shorter.yaml"
    path.write_text(yaml.safe_dump(shorter, allow_unicode=True), encoding="utf-8")
    refused = cli("import", str(path), url=url)
    assert refused.returncode == 2
    assert f"action {removed['code']} « {removed['title']} »" in refused.stderr
    assert "--confirm-removals" in refused.stderr and "Traceback" not in refused.stderr
    assert "déjà à jour" in cli("import", str(source), url=url).stdout  # the refused import wrote nothing
    confirmed = cli("import", str(path), "--confirm-removals", url=url)
    assert confirmed.returncode == 0 and "1 supprimée" in confirmed.stdout
