"""Keeping a plan alive between Bureaus, as plain rules: the Bureau calendar, who has updated
since the last Bureau, staleness, and the reminder e-mail's text.

- The last Bureau is the latest Bureau meeting *before* today (on the day of a Bureau, the
  Bureau being prepared is still the next one); the next Bureau is the first on or after today.
- An action is « à jour » when its follow-up (taux, status, comment, health, a measure) was
  updated after the day of the last Bureau, by whoever entered it or by a later import of a file
  (« par fichier »). Creating or importing the plan, or creating an action, is not an update:
  right after an import nobody is « à jour ». Only open actions are followed: a finalised or
  abandoned one has nothing left to report.
- An open action is « non mise à jour » (stale) when its last update, or its creation when it
  was never updated, is ``stale_after_days`` days old or more (the plan's setting).
- Without any Bureau recorded, « since the last Bureau » falls back to the stale threshold.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from db.limits import HEALTHS, REMINDER_TEXT_MAX
from pst_data.rules import schedule
from pst_data.rules.filters import NO_HEALTH
from pst_data.rules.formatting import fmt_date
from pst_data.rules.means import missing
from pst_data.rules.progress import CLOSED_STATUSES
from pst_data.rules.text import refused_character

MEETING_LABELS = {"bureau": "Bureau permanent", "conseil": "Conseil de l'action sociale"}
NO_LEAD = "(sans chef de projet)"


@dataclass(frozen=True)
class Calendar:
    """The Bureau dates that matter today."""

    last_bureau: dt.date | None
    next_bureau: dt.date | None

    @property
    def since_label(self) -> str:
        return f"depuis le Bureau du {fmt_date(self.last_bureau)}" if self.last_bureau else ""


def calendar(meetings: Iterable[Mapping[str, Any]], today: dt.date) -> Calendar:
    """``meetings``: the plan's meetings (``kind``, ``held_on``: pst_data.meetings.list_meetings);
    only Bureau meetings set the follow-up rhythm."""
    bureaus = sorted(m["held_on"] for m in meetings if m["kind"] == "bureau")
    past = [d for d in bureaus if d < today]
    coming = [d for d in bureaus if d >= today]
    return Calendar(past[-1] if past else None, coming[0] if coming else None)


@dataclass(frozen=True)
class Reference:
    """What « à jour » is measured from: the day after which a change counts."""

    day: dt.date
    text: str  # « depuis le Bureau du 10/11/2026 » / « sur les 60 derniers jours »
    from_bureau: bool


def reference(cal: Calendar, today: dt.date, stale_after_days: int) -> Reference:
    if cal.last_bureau is not None:
        return Reference(cal.last_bureau, cal.since_label, True)
    day = today - dt.timedelta(days=stale_after_days)
    return Reference(day, f"sur les {stale_after_days} derniers jours (aucun Bureau passé n'est enregistré)", False)


def is_open(status: str | None) -> bool:
    return status not in CLOSED_STATUSES


def add_follow_up_columns(frame: pd.DataFrame, today: dt.date, stale_after_days: int) -> pd.DataFrame:
    """From ``last_update_day`` (the Brussels day of the action's last update; None: never
    updated): the days since then, and whether an open action is stale: its last update, or
    when never updated its creation or import (``known_since_day``), is ``stale_after_days`` old
    or more. A plan imported yesterday is not « sans mise à jour depuis 60 jours »."""
    days = [None if missing(d) else (today - d).days for d in frame["last_update_day"]]
    frame["days_since_update"] = pd.array(days, dtype="Int64")
    known = frame["known_since_day"] if "known_since_day" in frame else [None] * len(frame)
    frame["is_stale"] = [
        is_open(s) and (n >= stale_after_days if n is not None else missing(k) or (today - k).days >= stale_after_days)
        for s, n, k in zip(frame["status"], days, known, strict=True)
    ]
    return frame



def updated_since(actions: pd.DataFrame, day: dt.date) -> pd.Series:
    """True for actions changed after ``day`` (the day of the last Bureau)."""
    return actions["last_update_day"].map(lambda d: d is not None and not pd.isna(d) and d > day).astype(bool)


def behind(actions: pd.DataFrame, ref: Reference) -> pd.DataFrame:
    """The open actions not updated since ``ref``: what the next Bureau is waiting for."""
    followed = open_actions(actions)
    return followed[~updated_since(followed, ref.day)] if not followed.empty else followed


def open_actions(actions: pd.DataFrame) -> pd.DataFrame:
    return actions[actions["status"].map(is_open)] if not actions.empty else actions


def update_table(actions: pd.DataFrame, ref: Reference, by: str) -> pd.DataFrame:
    """Who has updated since ``ref`` and who has not, per chef de projet (``by="lead"``) or
    per OS (``by="os"``): the open actions only, the most behind first."""
    followed = open_actions(actions)
    columns = (["Chef de projet"] if by == "lead" else ["OS", "Objectif stratégique"]) + [
        "Actions suivies", "À jour", "Pas à jour", "Dernière mise à jour", "À mettre à jour"]
    if followed.empty:
        return pd.DataFrame(columns=columns)
    followed = followed.assign(_fresh=updated_since(followed, ref.day),
                               _lead=followed["project_lead"].fillna(NO_LEAD))
    keys = ["_lead"] if by == "lead" else ["os_code", "os_title"]
    rows = []
    for key, group in followed.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        late = group[~group["_fresh"]]
        rows.append([*key, len(group), int(group["_fresh"].sum()), len(late), last_update_text(group),
                     ", ".join(late["code"].astype(str)) or "—"])
    table = pd.DataFrame(rows, columns=columns)
    if by == "lead":
        table = table.sort_values(["Pas à jour", "Chef de projet"], ascending=[False, True],
                                  key=lambda c: c.str.casefold() if c.dtype == object else c, kind="stable")
    return table.reset_index(drop=True)


def last_update_text(actions: pd.DataFrame) -> str:
    """The latest update of these actions: « 03/12/2026 », « 03/12/2026 (par fichier) » when a
    file's import made it, « jamais » when nobody has updated any of them."""
    updated = actions[actions["last_update"].notna()] if not actions.empty else actions
    if updated.empty:
        return "jamais"
    latest = updated.loc[updated["last_update"].idxmax()]
    by_file = bool(latest.get("last_update_by_file", False))
    return fmt_date(latest["last_update_day"]) + (" (par fichier)" if by_file else "")


@dataclass(frozen=True)
class Summary:
    """The overview's follow-up section, computed once per plan revision and filters."""

    followed: int
    fresh: int
    stale: int
    healths: dict[str, int]
    by_lead: pd.DataFrame
    by_os: pd.DataFrame
    troubled: pd.DataFrame


def summary(actions: pd.DataFrame, ref: Reference) -> Summary:
    followed = open_actions(actions)
    troubled = followed[followed["health"].isin(["En difficulté", "À surveiller"])] if not followed.empty else followed
    return Summary(
        followed=len(followed),
        fresh=int(updated_since(followed, ref.day).sum()) if not followed.empty else 0,
        stale=int(actions["is_stale"].sum()) if not actions.empty else 0,
        healths=health_counts(actions),
        by_lead=update_table(actions, ref, "lead"),
        by_os=update_table(actions, ref, "os"),
        troubled=pd.DataFrame({"Code": troubled["code"], "Action": troubled["title"], "Santé": troubled["health"],
                               "Raison": troubled["health_reason"], "Chef de projet": troubled["project_lead"]}),
    )


def health_counts(actions: pd.DataFrame) -> dict[str, int]:
    """Open actions per health (« Non renseignée » last)."""
    followed = open_actions(actions)
    health = followed["health"].fillna(NO_HEALTH) if not followed.empty else pd.Series(dtype=object)
    return {h: int((health == h).sum()) for h in (*HEALTHS, NO_HEALTH)}


def health_text(health: str | None, reason: str | None) -> str:
    if not health:
        return "—"
    return f"{health} — {reason}" if reason else health


def staleness_text(days: Any, stale_after_days: int) -> str:
    """« mise à jour il y a 12 jours » / « non mise à jour depuis 75 jours »."""
    if days is None or pd.isna(days):
        return "jamais mise à jour"
    days = int(days)
    if days >= stale_after_days:
        return f"non mise à jour depuis {days} jours"
    return "mise à jour aujourd'hui" if days == 0 else \
        "mise à jour hier" if days == 1 else f"mise à jour il y a {days} jours"


# -- reminders --------------------------------------------------------------------------------

DEFAULT_SUBJECT = "PST : mise à jour de vos actions avant le Bureau du {date_bureau}"
DEFAULT_REMINDER = """Bonjour {nom},

Le Bureau permanent fera le point sur le Programme stratégique transversal ({plan}) {quand}.
Pourriez-vous mettre à jour, d'ici là, le taux d'avancement, le statut et la santé de ces actions ?

{actions}

Vous les trouvez toutes dans PST Pilot, page « Mes actions » : un seul tableau, un seul enregistrement.

Merci d'avance,
{signature}"""
PLACEHOLDERS = ("nom", "date_bureau", "quand", "plan", "actions", "signature")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def reminder_text_problems(text: str) -> list[str]:
    """A directeur's reminder text: the list of actions must be in it; braces name only the
    known placeholders (a typo would otherwise reach every chef de projet)."""
    problems = []
    if not text.strip():
        problems.append("Le texte de la relance est vide.")
    if len(text) > REMINDER_TEXT_MAX:
        problems.append(f"Texte de la relance trop long ({len(text)} caractères, maximum {REMINDER_TEXT_MAX}).")
    if refused_character(text):
        problems.append(f"Le texte de la relance contient un caractère de contrôle ou invalide "
                        f"({refused_character(text)}), refusé.")
    unknown = sorted({m for m in _PLACEHOLDER.findall(text) if m not in PLACEHOLDERS})
    if unknown:
        problems.append(("Champ inconnu" if len(unknown) == 1 else "Champs inconnus") + " dans le texte de la relance : "
                        + ", ".join("{" + u + "}" for u in unknown)
                        + " ; champs permis : " + ", ".join("{" + p + "}" for p in PLACEHOLDERS) + ".")
    if "{actions}" not in text:
        problems.append("Le texte de la relance doit contenir {actions} (la liste des actions à mettre à jour).")
    return problems


def fill(template: str, values: dict[str, str]) -> str:
    """Put the values in place of {nom}, {actions}…: plain replacement, never str.format (which
    reads attributes: a text typed in a form must not reach the program's objects)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def action_lines(rows: Sequence[dict[str, Any]], stale_after_days: int) -> str:
    """One line per action in the reminder: code, title, taux, where it stands against its
    calendar when it drifts or its échéance is past (pst_data.rules.schedule), last update."""
    lines = []
    for row in rows:
        taux = "sans taux" if row.get("progress") is None or pd.isna(row.get("progress")) else f"{int(row['progress'])} %"
        status = row.get("schedule")
        if status in schedule.DRIFTING:
            taux = schedule.phrase(status, row.get("progress"), row.get("expected_progress"), None, dt.date.min)
        elif status == schedule.OVERDUE:
            taux += f" ; échéance dépassée ({fmt_date(row.get('due_date'))})"
        lines.append(f"- {row['code']} · {row['title']} ({taux} ; "
                     f"{staleness_text(row.get('days_since_update'), stale_after_days)})")
    return "\n".join(lines)


def reminder_message(template: str | None, *, name: str, next_bureau: dt.date | None, plan: str,
                     rows: Sequence[dict[str, Any]], stale_after_days: int, signature: str) -> tuple[str, str]:
    """(subject, body) of one person's reminder."""
    when = fmt_date(next_bureau) if next_bureau else "(date à fixer)"
    values = {"nom": name, "date_bureau": when, "plan": plan, "signature": signature,
              "quand": f"le {when}" if next_bureau else "lors de sa prochaine séance",
              "actions": action_lines(rows, stale_after_days)}
    subject = fill(DEFAULT_SUBJECT, values) if next_bureau else "PST : mise à jour de vos actions"
    return subject, fill(template or DEFAULT_REMINDER, values)


def late_by_person(actions: pd.DataFrame, ref: Reference) -> dict[int, pd.DataFrame]:
    """lead account id -> their open actions not updated since ``ref`` (those with an account)."""
    late = behind(actions, ref)
    late = late[late["lead_account_id"].notna()] if not late.empty else late
    return {int(account): group for account, group in late.groupby("lead_account_id", sort=True)}


# -- Ville–CPAS synergies ----------------------------------------------------------------------

COMMUNE_WORDS = re.compile(r"\b(ville|commune|administration communale|coll[eè]ge communal|conseil communal)\b",
                           re.IGNORECASE)


def names_the_commune(partners: Sequence[str] | None, services: Sequence[str] | None = None) -> bool:
    """A partner or service naming the commune (« Ville de Charleroi », « Administration
    communale »): the action is likely a Ville–CPAS synergy, to be confirmed by the directeur."""
    return any(COMMUNE_WORDS.search(str(name)) for name in [*(partners or []), *(services or [])])
