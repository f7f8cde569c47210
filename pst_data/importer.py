"""Plan import, read side, and export: what an import reports and previews (and how the CLI
prints it), the labels every database starts with, the plans a file reader may update, and a plan
exported back in plan-file shape. The import itself is written in ``pst_data.services.imports``;
the old names still work from here.

Import matches what is already there by code (OS within the plan, OO within its OS, actions
within the plan so that a move between OO keeps the action and its history), updates what
differs, creates what is new and deletes what the file no longer has. Every action change is a
history row; an unchanged file writes nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, selectinload

from db.models import (
    Action,
    Label,
    OperationalObjective,
    Plan,
    StrategicObjective,
)
from pst_data.actions import action_values
from pst_data.rules.validation import DEFAULT_BANDS
from pst_data.rules.fields import PLAN_FIELD_LABELS
from pst_data.rules.formatting import IMPORT_AUTHOR, plural
from pst_data.rules.text import label_key
from pst_data.uow import Operator
from pst_data.moved import moved_names

# The labels every database starts with (Charleroi's PST announces PPI and PGP).
SEED_LABELS = (
    ("États généraux", "Projets répondant aux attentes formulées lors des États généraux du CPAS.", "#1f77b4"),
    ("PPI", "Plan pluriannuel d'investissements.", "#ff7f0e"),
    ("PGP", "Plan global de prévention.", "#2ca02c"),
)
# The demo seed and the imports run from the command line: the journal shows this as their author.
IMPORT_OPERATOR = Operator(IMPORT_AUTHOR)


@dataclass
class ImportReport:
    slug: str
    created: bool = False
    actions_created: int = 0
    actions_updated: int = 0
    actions_deleted: int = 0
    objectives_changed: int = 0
    actions_unchanged: int = 0
    # the plan's own fields that changed: (field, old, new), shown by the preview
    plan_fields: list[tuple[str, Any, Any]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.created or self.actions_created or self.actions_updated or self.actions_deleted
            or self.objectives_changed or self.plan_fields
        )

    def summary(self) -> str:
        def agreed(count: int, word: str) -> str:  # French: the singular for 0 and 1
            return f"{count} {word}{'s' if count > 1 else ''}"

        if self.created:
            return f"Plan « {self.slug} » créé : {agreed(self.actions_created, 'action')} importée" \
                   f"{'s' if self.actions_created > 1 else ''}."
        if not self.changed:
            return f"Plan « {self.slug} » : déjà à jour, rien n'a changé."
        fields = len(self.plan_fields)
        plan_fields = f", {agreed(fields, 'champ')} du plan modifié{'s' if fields > 1 else ''}" if fields else ""
        return (
            f"Plan « {self.slug} » mis à jour : {agreed(self.actions_created, 'action')} "
            f"{agreed(self.actions_created, 'ajoutée').split(' ', 1)[1]}, "
            f"{agreed(self.actions_updated, 'modifiée')}, {agreed(self.actions_deleted, 'supprimée')}, "
            f"{agreed(self.objectives_changed, 'objectif')} modifié{'s' if self.objectives_changed > 1 else ''}"
            f"{plan_fields}."
        )


def ensure_seed_labels(session: Session) -> None:
    existing = set(session.scalars(select(Label.name_key)))
    for name, description, colour in SEED_LABELS:
        if label_key(name) not in existing:
            session.add(Label(name=name, name_key=label_key(name), description=description, colour=colour))


@dataclass(frozen=True)
class PreviewLine:
    kind: str  # create | update | delete
    element: str  # "action 1.1.2", "OO 1.1", "plan"
    field: str  # French field name ("" for a whole element)
    old: str | None
    new: str | None


@dataclass
class ImportPreview:
    report: ImportReport
    lines: list[PreviewLine]

    @property
    def removals(self) -> list[PreviewLine]:
        return [line for line in self.lines if line.kind == "delete"]

    def text(self) -> str:
        """The preview as the CLI prints it, in French."""
        out = [self.report.summary().replace(" créé :", " serait créé :").replace(" mis à jour :", " serait mis à jour :")]
        if self.report.created:
            return out[0]
        reordered = self.report.actions_updated - len({line.element for line in self.lines
                                                       if line.kind == "update" and line.element.startswith("action")})
        if reordered > 0:
            out.append(f"Dont {plural(reordered, 'action')} qui {'change' if reordered < 2 else 'changent'} seulement "
                       "de place dans l'ordre du plan.")
        out.append(f"Inchangées : {plural(self.report.actions_unchanged, 'action')}.")
        if self.report.plan_fields:
            out.append(f"Champs du plan à modifier ({len(self.report.plan_fields)}) :")
            for name, old, new in self.report.plan_fields:
                out.append(f"  plan · {PLAN_FIELD_LABELS.get(name, name)} : « {_shown(old)} » → « {_shown(new)} »")
        for kind, title in (("create", "À créer"), ("update", "À modifier"), ("delete", "À supprimer")):
            lines = [line for line in self.lines if line.kind == kind]
            if not lines:
                continue
            out.append(f"{title} ({len(lines)}) :")
            for line in lines:
                if kind == "update":
                    out.append(f"  {line.element} · {line.field} : « {line.old or '—'} » → « {line.new or '—'} »")
                else:
                    out.append(f"  {line.element} « {(line.old if kind == 'delete' else line.new) or ''} »")
        return "\n".join(out)


def _shown(value: Any) -> str:
    """A plan field's value on one line of the preview."""
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, list):
        return " ; ".join(f"{v['label']} {v['min']}-{v['max']}" if isinstance(v, dict) and "label" in v else str(v)
                          for v in value)
    return str(value)


class DatabasePlans:
    """The plans a file reader may update (pst_data.exchange.files.KnownPlans)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def export(self, slug: str) -> dict[str, Any] | None:
        with Session(self.engine) as session:
            try:
                return export_plan(session, slug)
            except LookupError:
                return None

    def slugs_for_ins(self, ins_code: str | None) -> list[str]:
        if not ins_code:
            return []
        with Session(self.engine) as session:
            return list(session.scalars(select(Plan.slug).where(Plan.ins_code == ins_code).order_by(Plan.slug)))


# -- export -------------------------------------------------------------------------------

def export_plan(session: Session, slug: str) -> dict[str, Any]:
    """The plan in plan-file shape (what ``import_plan`` takes back unchanged)."""
    plan = session.scalars(
        select(Plan)
        .where(Plan.slug == slug)
        .options(
            selectinload(Plan.strategic_objectives)
            .selectinload(StrategicObjective.operational_objectives)
            .selectinload(OperationalObjective.actions)
            .options(selectinload(Action.labels), selectinload(Action.services),
                     selectinload(Action.sub_actions))
        )
    ).one_or_none()
    if plan is None:
        raise LookupError(slug)
    period = None
    if plan.period_start is not None or plan.period_end is not None:
        period = {"start": plan.period_start, "end": plan.period_end}
    return {
        "format": 1,
        "slug": plan.slug,
        "organisation": plan.organisation,
        "ins_code": plan.ins_code,
        "title": plan.title,
        "period": period,
        "source": plan.source,
        "document": plan.document,
        "priority_scale": list(plan.priority_scale or []),
        "evaluation_bands": list(plan.evaluation_bands or DEFAULT_BANDS),
        "stated_totals": dict(plan.stated_totals or {}),
        "notes": list(plan.notes or []),
        "strategic_objectives": [
            {
                "code": os_.code,
                "title": os_.title,
                "axis": os_.axis,
                "description": os_.description,
                "stated_totals": dict(os_.stated_totals or {}),
                "operational_objectives": [
                    {
                        "code": oo.code,
                        "title": oo.title,
                        "description": oo.description,
                        "indicators": list(oo.indicators or []),
                        "actions": [action_values(a) for a in oo.actions],
                    }
                    for oo in os_.operational_objectives
                ],
            }
            for os_ in plan.strategic_objectives
        ],
    }


# -- the writes, moved to pst_data.services.imports ---------------------------------------

__getattr__ = moved_names(__name__, "pst_data.services.imports", {"import_plan", "preview_import"})
