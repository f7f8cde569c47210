"""Deterministic generator of plausible PSTs for the large scale (every CPAS of Wallonia).

Each generated plan looks like Charleroi's (the largest real plan we hold): about 8 OS, 30 OO and
100 actions; 42 of 97 actions at priority "Niveau 1", 36 of 97 labelled "États généraux" (plus
some PPI and PGP, which Charleroi announces), a taux 0-100 on most actions, a status from the
allowed set, start and end dates. Every action gets exactly ``HISTORY_PER_ACTION`` history rows
shaped like the ones the app writes (two "import" rows, then "update" rows of progress, status
and comment, each with its own change_id and the action's version after it).

Plans are plan-file dicts (format 1), so ``pst_data.exchange.plan_file.validate_plan`` accepts them; the
history is kept beside them. Everything comes from ``random.Random(seed)``: same seed, same data.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

# Bump when the generated data changes: cached benchmark databases are rebuilt.
GENERATOR_VERSION = 1
SEED = 20190101

WALLOON_CPAS = 262  # one CPAS per commune of Wallonia
HISTORY_PER_ACTION = 10
UPDATES_PER_ACTION = HISTORY_PER_ACTION - 2  # after the two import rows

# Charleroi's proportions (pst_data/plans/charleroi.yaml); PPI and PGP are announced there but
# not yet given, so they get smaller, plausible shares.
TOP_PRIORITY = "Niveau 1"
TOP_PRIORITY_SHARE = 42 / 97
LABEL_SHARES = {"États généraux": 36 / 97, "PPI": 0.10, "PGP": 0.08}
MISSING_PROGRESS_SHARE = 0.12
FINALISED_SHARE = 0.15
ACTIONS_PER_PLAN = (85, 115)  # mean 100
OS_PER_PLAN = (6, 10)  # mean 8
OO_PER_OS = (2, 5)  # mean 3.5, so ~28 OO per plan

_VERBS = ("Renforcer", "Développer", "Améliorer", "Moderniser", "Simplifier", "Structurer",
          "Pérenniser", "Étendre", "Organiser", "Digitaliser", "Soutenir", "Optimiser")
_OBJECTS = ("l'accompagnement des publics en insertion", "l'accueil de première ligne",
            "la médiation de dettes", "le service d'aide aux familles", "la gestion des ressources humaines",
            "les maisons de repos", "l'aide alimentaire", "le logement d'urgence",
            "la communication interne", "le contrôle interne", "les partenariats locaux",
            "la lutte contre la précarité énergétique", "l'insertion socioprofessionnelle",
            "la politique des aînés", "la gestion des marchés publics", "l'informatique de gestion",
            "la prévention de la non-utilisation des droits", "l'accueil de la petite enfance")
_QUALIFIERS = ("dans une perspective de proximité", "avec les partenaires du réseau",
               "pour les usagers les plus fragilisés", "sur l'ensemble du territoire",
               "en lien avec le plan de cohésion sociale", "dans le respect du budget",
               "au bénéfice du personnel", "grâce à des outils numériques")
_SENTENCES = ("Ce projet vise à rendre le service plus accessible aux citoyens.",
              "Il s'appuie sur une analyse des besoins menée avec les équipes de terrain.",
              "Les étapes seront évaluées chaque année par le Comité de direction.",
              "Un groupe de travail transversal assure le suivi et rend compte au Bureau permanent.",
              "Les moyens nécessaires sont prévus au budget ordinaire.",
              "Le projet répond à une attente exprimée lors des États généraux.")
SERVICES = ("Service social général", "Service Informatique", "Ressources humaines",
            "Service des finances", "Insertion socioprofessionnelle", "Maisons de repos",
            "Service juridique", "Médiation de dettes", "Logement", "Aide aux familles",
            "Communication", "Marchés publics", "Direction générale", "Tous les services")
_FIRST = ("Anne", "Marc", "Sophie", "Luc", "Nathalie", "Pierre", "Isabelle", "Jean", "Catherine",
          "Olivier", "Valérie", "Thierry", "Christine", "Didier", "Sandrine", "Philippe")
_LAST = ("Dubois", "Lambert", "Martin", "Dupont", "Leclercq", "Renard", "Lemaire", "Fontaine",
         "Mertens", "Jacobs", "Wauters", "Hubert", "Collard", "Gérard", "Denis", "Simon")
_COMMENTS = ("Point fait en réunion d'équipe.", "Retard lié au recrutement.",
             "Marché attribué, démarrage prévu.", "Première phase terminée.",
             "En attente de validation par le Conseil.", "Budget confirmé.",
             "Partenaire relancé.", "Évaluation intermédiaire positive.")


@dataclass
class GeneratedPlan:
    plan: dict[str, Any]  # plan-file shape (format 1)
    # action code -> its history rows, oldest first (keys as in db.models.History)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def actions(self) -> list[dict[str, Any]]:
        return [a for os_ in self.plan["strategic_objectives"]
                for oo in os_["operational_objectives"] for a in oo["actions"]]


def _person(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def _title(rng: random.Random) -> str:
    return f"{rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_QUALIFIERS)}"


def _final_state(rng: random.Random) -> tuple[int | None, str]:
    """The action's taux and status today, coherent with the app's rule (Finalisé <=> 100)."""
    if rng.random() < MISSING_PROGRESS_SHARE:
        return None, "À programmer"
    if rng.random() < FINALISED_SHARE:
        return 100, "Finalisé"
    progress = min(99, max(0, round(rng.triangular(0, 100, 65))))
    roll = rng.random()
    if progress < 30 and roll < 0.25:
        return progress, "Abandonné"
    if roll < 0.05:
        return progress, "Suspendu"
    return progress, "En cours"


def _history(rng: random.Random, progress: int | None, status: str, adopted: dt.datetime,
             people: list[str]) -> list[dict[str, Any]]:
    """Two import rows (taux then status, as the importer writes them), then the updates that
    take the action from its imported state to today's, padded with comments."""
    updates: list[tuple[str, Any]] = []
    if status != "À programmer":
        updates.append(("status", "En cours"))
    if progress is not None:
        steps = rng.randint(3, 5)
        values = sorted(rng.randint(0, progress) for _ in range(steps - 1)) + [progress]
        updates += [("progress", v) for v in values]
    if status not in ("À programmer", "En cours"):
        updates.append(("status", status))
    while len(updates) < UPDATES_PER_ACTION:  # comments, anywhere in between
        updates.insert(rng.randint(0, len(updates)), ("comment", rng.choice(_COMMENTS)))
    if len(updates) > UPDATES_PER_ACTION:  # keep the first and the last moves
        updates = updates[:UPDATES_PER_ACTION - 2] + updates[-2:]
    span = (dt.datetime(2025, 12, 31) - adopted).total_seconds()
    times = sorted(adopted + dt.timedelta(seconds=rng.uniform(3600, span)) for _ in updates)

    def row(when, who, kind, field_name, old, new, version, comment=None):
        return {"changed_at": when, "changed_by": who, "kind": kind, "field": field_name,
                "old_value": None if old is None else str(old),
                "new_value": None if new is None else str(new), "comment": comment,
                "change_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "version_after": version}

    rows = [row(adopted, "import", "import", "progress", None, None, 1),
            row(adopted, "import", "import", "status", None, "À programmer", 1)]
    rows[1]["change_id"] = rows[0]["change_id"]  # one import, one change_id
    current = {"progress": None, "status": "À programmer", "comment": None}
    for version, ((name, value), when) in enumerate(zip(updates, times, strict=True), start=2):
        who = rng.choice(people)
        note = rng.choice(_COMMENTS) if name != "comment" and rng.random() < 0.3 else None
        rows.append(row(when, who, "update", name, current[name], value, version, note))
        current[name] = value
    return rows


def generate_plan(index: int, seed: int = SEED) -> GeneratedPlan:
    """Plan number ``index`` (1-based) of the generated set; independent of the others."""
    rng = random.Random(f"{seed}-{index}")
    slug = f"cpas-gen-{index:03d}"
    adopted = dt.datetime(2019, rng.randint(3, 12), rng.randint(1, 28), 10, 0)
    people = [_person(rng) for _ in range(rng.randint(12, 20))]
    services = rng.sample(SERVICES, rng.randint(8, len(SERVICES)))
    os_count = rng.randint(*OS_PER_PLAN)
    oo_counts = [rng.randint(*OO_PER_OS) for _ in range(os_count)]
    total_oo = sum(oo_counts)
    n_actions = max(rng.randint(*ACTIONS_PER_PLAN), total_oo)
    per_oo = [1] * total_oo  # every OO has an action, the rest spread at random
    for _ in range(n_actions - total_oo):
        per_oo[rng.randrange(total_oo)] += 1

    history: dict[str, list[dict[str, Any]]] = {}
    objectives = []
    oo_index = 0
    for os_number in range(1, os_count + 1):
        oos = []
        for oo_number in range(1, oo_counts[os_number - 1] + 1):
            actions = []
            for a_number in range(1, per_oo[oo_index] + 1):
                code = f"{os_number}.{oo_number}.{a_number}"
                progress, status = _final_state(rng)
                start_year = rng.randint(2019, 2022)
                end = rng.choice((f"31/12/{rng.randint(max(start_year, 2023), 2026)}",
                                  str(rng.randint(max(start_year, 2022), 2025))))
                labels = sorted(name for name, share in LABEL_SHARES.items() if rng.random() < share)
                actions.append({
                    "code": code, "title": _title(rng),
                    "description": " ".join(rng.sample(_SENTENCES, rng.randint(2, 4))),
                    "priority": TOP_PRIORITY if rng.random() < TOP_PRIORITY_SHARE else None,
                    "labels": labels,
                    "services": rng.sample(services, rng.randint(1, 3)),
                    "partners": rng.sample(("Ville", "Forem", "AVIQ", "Zone de police", "ASBL locale"),
                                           rng.randint(0, 2)),
                    "project_lead": rng.choice(people), "department": rng.choice(services),
                    "start": str(start_year), "end": end, "status": status, "progress": progress,
                    "indicators": [{"label": "Réalisation des étapes prévues", "target": "100 %",
                                    "reached": None if progress is None else f"{progress} %"}],
                    "budget": rng.choice((None, None, rng.randint(1, 200) * 1000)),
                    "budget_text": None, "staff_fte": rng.choice((None, 0.5, 1, 2)), "staff_text": None,
                    "risks": [], "deliverables": None, "context": None, "evaluation": None,
                    "comment": None, "weight": 1, "sub_actions": [],
                })
                rows = _history(rng, progress, status, adopted, people)
                last_comment = [r["new_value"] for r in rows if r["field"] == "comment"]
                actions[-1]["comment"] = last_comment[-1] if last_comment else None
                history[code] = rows
            oo_index += 1
            oos.append({"code": f"{os_number}.{oo_number}", "title": _title(rng), "description": None,
                        "indicators": [], "actions": actions})
        objectives.append({"code": str(os_number), "title": _title(rng), "axis": None,
                           "description": None, "stated_totals": {}, "operational_objectives": oos})

    plan = {
        "format": 1, "slug": slug, "organisation": f"CPAS de la commune n° {index:03d}",
        "title": "Programme Stratégique Transversal 2019-2024", "period": {"start": 2019, "end": 2024},
        "source": None, "document": "PST généré (benchmark)", "priority_scale": [TOP_PRIORITY],
        "evaluation_bands": [
            {"label": "Réalisé", "min": 80, "max": 100}, {"label": "En cours", "min": 50, "max": 79},
            {"label": "À réorienter", "min": 30, "max": 49}, {"label": "Abandonné", "min": 0, "max": 29},
        ],
        "stated_totals": {}, "notes": [], "strategic_objectives": objectives,
    }
    return GeneratedPlan(plan=plan, history=history)


def generate_plans(count: int, seed: int = SEED, start: int = 1) -> list[GeneratedPlan]:
    return [generate_plan(i, seed) for i in range(start, start + count)]
