"""Page-level aggregates built on the progress rules (pure functions of the actions frame)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pst_data.rules.fields import FIELD_LABELS, PLAN_FIELD_LABELS
from pst_data.rules.follow_up import names_the_commune
from pst_data.rules.indicators import indicator_summary
from pst_data.rules.formatting import (EMPTY, author, fmt_date, fmt_datetime, fmt_euro, fmt_number, fmt_percent,
                                 plural)
from pst_data.rules.means import missing
from pst_data.rules import schedule
from pst_data.rules.progress import rollup, schedule_of, schedule_rollup, summarise

NO_LABEL = "Sans label"
TOP = "Priorité 1"
REST = "Autres actions"


def by_label(actions: pd.DataFrame, label_names: Sequence[str],
             bands: Sequence[dict[str, Any]] | None) -> pd.DataFrame:
    """One row per label (every known label, even with no action), then "Sans label"."""
    exploded = actions.assign(label=actions["labels"].map(lambda n: list(n) or [NO_LABEL]))
    exploded = exploded.explode("label")
    table = rollup(exploded, ["label"], bands)
    order = list(label_names) + [NO_LABEL]
    table = table.set_index("label").reindex(order)
    counts = [c for c in table.columns if c != "mean_progress"]
    table[counts] = table[counts].fillna(0).astype(int)
    return table.reset_index()


def by_label_schedule(actions: pd.DataFrame, label_names: Sequence[str],
                      thresholds: schedule.Thresholds | None) -> pd.DataFrame:
    """One row per label with actions (then "Sans label") against the calendar
    (progress.schedule_rollup)."""
    exploded = actions.assign(label=actions["labels"].map(lambda n: list(n) or [NO_LABEL])).explode("label")
    table = schedule_rollup(exploded, ["label"], thresholds)
    order = [n for n in [*label_names, NO_LABEL] if n in set(table["label"])]
    return table.set_index("label").reindex(order).reset_index()


@dataclass(frozen=True)
class LabelViews:
    """What the Labels page shows of a set of actions, computed once per revision and filters."""

    table: pd.DataFrame  # by_label
    on_calendar: pd.DataFrame  # by_label_schedule
    by_os: pd.DataFrame  # label_by_os
    by_priority: pd.DataFrame | None  # label_by_priority, when the plan has a scale
    unlabelled: pd.DataFrame  # action_rows of the actions without a label


def label_views(actions: pd.DataFrame, label_names: Sequence[str], plan: dict[str, Any]) -> LabelViews:
    bands, scale = plan["evaluation_bands"], plan["priority_scale"]
    return LabelViews(
        by_label(actions, label_names, bands), by_label_schedule(actions, label_names, schedule.Thresholds.of(plan)),
        label_by_os(actions, label_names), label_by_priority(actions, label_names, scale) if scale else None,
        action_rows(actions[actions["labels"].map(len) == 0]))


def label_by_os(actions: pd.DataFrame, label_names: Sequence[str]) -> pd.DataFrame:
    """Count of actions per (label, OS): rows labels, columns OS codes."""
    exploded = actions.explode("labels").dropna(subset=["labels"])
    if exploded.empty:
        return pd.DataFrame(0, index=list(label_names), columns=list(dict.fromkeys(actions["os_code"])))
    table = pd.crosstab(exploded["labels"], exploded["os_code"])
    return table.reindex(index=list(label_names), columns=list(dict.fromkeys(actions["os_code"])),
                         fill_value=0)


def label_by_priority(actions: pd.DataFrame, label_names: Sequence[str],
                      priority_scale: Sequence[str]) -> pd.DataFrame:
    """Count of actions per (label, priority level); "Sans priorité" for the rest."""
    exploded = actions.assign(label=actions["labels"].map(lambda n: list(n) or [NO_LABEL]))
    exploded = exploded.explode("label")
    priority = exploded["priority"].fillna("Sans priorité")
    table = pd.crosstab(exploded["label"], priority)
    columns = list(priority_scale) + ["Sans priorité"]
    return table.reindex(index=list(label_names) + [NO_LABEL], columns=columns, fill_value=0)


def label_vs_rest(actions: pd.DataFrame, label: str, bands: Sequence[dict[str, Any]] | None
                  ) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The actions carrying ``label`` against all the others: one row per group (actions, mean
    taux, without taux, late) and the same per OS, for a grouped chart; and the two group names."""
    names = [f"« {label} »", "Les autres actions"]
    group = actions["labels"].map(lambda labels: names[0] if label in labels else names[1])
    grouped = actions.assign(group=group)
    totals = rollup(grouped, ["group"], bands).set_index("group").reindex(names).reset_index()
    late = grouped.groupby("group")["is_late"].sum()
    table = pd.DataFrame({
        "Actions": names,
        "Nombre": totals["actions"].fillna(0).astype(int),
        "Taux moyen": [fmt_percent(v) for v in totals["mean_progress"]],
        "Sans taux": totals["unassessed"].fillna(0).astype(int),
        "En retard": [int(late.get(n, 0)) for n in names],
    })
    return table, rollup(grouped, ["os_code", "os_title", "group"], bands), names


def priority_vs_rest(actions: pd.DataFrame, bands: Sequence[dict[str, Any]] | None) -> pd.DataFrame:
    """Per OS, the mean taux of the top-priority actions and of the others."""
    group = actions["is_top_priority"].map({True: TOP, False: REST})
    return rollup(actions.assign(group=group), ["os_code", "os_title", "group"], bands)


def action_rows(actions: pd.DataFrame) -> pd.DataFrame:
    """The actions as a table users read (French headers, Belgian dates)."""
    return pd.DataFrame({
        "Code": actions["code"],
        "Action": actions["title"],
        "Taux": actions["progress"].astype("float"),
        "Attendu": actions["expected_progress"].astype("float"),
        # Where it stands beside the taux: at 1 440 px the last columns are behind a scroll bar.
        "Calendrier": actions["schedule"],
        "Échéance": [fmt_date(d) if not pd.isna(d) else (t or "—")
                     for d, t in zip(actions["end_date"], actions["end_text"], strict=True)],
        "Statut": actions["status"].fillna("—"),
        "Chef de projet": actions["project_lead"].fillna("—"),
    })


@dataclass(frozen=True)
class ObjectiveBlock:
    """One OS of the Objectifs page's tree: its heading, its OO table, its actions table."""
    os_code: str
    title: str
    axis: str | None
    line: str  # « 58,9 % · 12 actions (dont 3 sans taux) »
    mean_progress: float | None
    schedule: schedule.GroupSchedule | None
    oo_rows: list[dict[str, Any]]
    actions: pd.DataFrame  # action_rows, with the OO code first
    action_ids: list[int]


def objective_tree(objectives: pd.DataFrame, actions: pd.DataFrame, measured: Sequence[dict[str, Any]],
                   bands: Sequence[dict[str, Any]] | None, filtered: bool,
                   thresholds: schedule.Thresholds | None = None) -> list[ObjectiveBlock]:
    """Per OS of ``objectives`` (in plan order), what the Objectifs page shows of ``actions``;
    a filtered view keeps only the objectives and OO the actions touch. With ``thresholds``,
    each OS and OO also says where it stands against its calendar."""
    per_oo = rollup(actions, ["oo_code"], bands).set_index("oo_code") if not actions.empty else None
    per_oo_schedule = schedule_rollup(actions, ["oo_code"], thresholds).set_index("oo_code") \
        if thresholds is not None and not actions.empty else None
    blocks = []
    for os_code, os_rows in objectives.groupby("os_code", sort=False):
        os_actions = actions[actions["os_code"] == os_code]
        if filtered and os_actions.empty:
            continue
        s = summarise(os_actions["progress"].tolist(), os_actions["weight"].tolist(), bands)
        on_calendar = schedule_of(os_actions, thresholds) if thresholds is not None else None
        oo_rows = []
        for oo in os_rows.dropna(subset=["oo_code"]).itertuples():
            stats = per_oo.loc[oo.oo_code] if per_oo is not None and oo.oo_code in per_oo.index else None
            if filtered and stats is None:
                continue
            oo_rows.append({
                "OO": oo.oo_code, "Objectif opérationnel": oo.oo_title,
                # a mean: one decimal, like everywhere (not the bar's whole number)
                "Taux moyen": fmt_percent(None if stats is None else stats["mean_progress"]),
                "Actions": 0 if stats is None else int(stats["actions"]),
                "Sans taux": 0 if stats is None else int(stats["unassessed"]),
                **({} if per_oo_schedule is None else _oo_schedule(per_oo_schedule, oo.oo_code)),
                "Indicateurs": " ; ".join(oo.oo_indicators or []),
                "Indicateurs mesurés": " ; ".join(indicator_summary(i) for i in measured
                                                  if i["action_id"] is None and i["oo_id"] == oo.oo_id),
            })
        table = action_rows(os_actions)
        table.insert(0, "OO", os_actions["oo_code"].values)
        blocks.append(ObjectiveBlock(
            os_code=os_code, title=os_rows["os_title"].iloc[0], axis=os_rows["os_axis"].iloc[0] or None,
            line=summary_line(s.mean_progress, s.actions, s.unassessed)
            + (f" · calendrier : {schedule_line(on_calendar)}" if on_calendar is not None else ""),
            mean_progress=s.mean_progress, schedule=on_calendar,
            oo_rows=oo_rows, actions=table, action_ids=[int(i) for i in os_actions["id"]]))
    return blocks


def _oo_schedule(per_oo: pd.DataFrame, oo_code: str) -> dict[str, str]:
    if oo_code not in per_oo.index:
        return {"Attendu": EMPTY, "Calendrier": EMPTY}
    row = per_oo.loc[oo_code]
    return {"Attendu": fmt_percent(row["expected"]), "Calendrier": str(row["schedule"])}


def summary_line(mean: float | None, actions: int, unassessed: int) -> str:
    """ "58,9 % · 12 actions (dont 3 sans taux)"; "aucun taux · 11 actions" when none has one."""
    count = f"{actions} action{'s' if actions > 1 else ''}"
    if mean is None:
        return f"aucun taux · {count}"
    return f"{fmt_percent(mean)} · {count}" + (f" (dont {unassessed} sans taux)" if unassessed else "")


ENTITY_PREFIX = {"os": "OS ", "oo": "OO "}
ENTITY_NAMES = {"label": "Label", "snapshot": "Instantané", "plan": "Plan", "calendar": "Calendrier et relances"}


def element_name(entity: str | None, code: str) -> str:
    """What a history row is about, as users read it: "1.1.3", "OS 7", "OO 7.1", "Label"."""
    entity = entity or "action"
    if entity in ENTITY_NAMES:
        return ENTITY_NAMES[entity]
    return ENTITY_PREFIX.get(entity, "") + str(code)


def element_titles(actions: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(entity, code) -> title for the elements of an actions frame: a change names what it is
    about (« 1.1.3 · Créer un guichet social »), not only its code."""
    if actions.empty:
        return {}
    titles: dict[tuple[str, str], str] = {}
    for entity, code_col, title_col in (("os", "os_code", "os_title"), ("oo", "oo_code", "oo_title"),
                                        ("action", "code", "title")):
        titles.update({(entity, str(c)): str(t) for c, t in zip(actions[code_col], actions[title_col], strict=True)})
    return titles


def changes_in_view(changes: pd.DataFrame, actions: pd.DataFrame) -> pd.Series:
    """The changes about the shown actions and their OS and OO: the filters apply to them too."""
    entity = changes["entity"].fillna("action") if "entity" in changes else pd.Series("action", index=changes.index)
    code = changes["action_code"].astype(str)
    return ((entity.eq("action") & code.isin(actions["code"].astype(str)))
            | (entity.eq("os") & code.isin(actions["os_code"].astype(str)))
            | (entity.eq("oo") & code.isin(actions["oo_code"].astype(str))))


def changes_table(changes: pd.DataFrame, titles: dict[tuple[str, str], str] | None = None) -> pd.DataFrame:
    """History rows as users read them: « 1.1.3 · Titre », « Labels », « + PGP, − PPI »."""
    if changes.empty:
        return pd.DataFrame(columns=["Quand", "Qui", "Élément", "Champ", "Modification", "Commentaire"])
    entities = changes["entity"] if "entity" in changes else ["action"] * len(changes)
    kinds = changes["kind"] if "kind" in changes else ["update"] * len(changes)
    titles = titles or {}

    def element(entity: str | None, code: str) -> str:
        name = element_name(entity, code)
        title = titles.get((entity or "action", str(code)))
        return f"{name} · {title}" if title else name

    return pd.DataFrame({
        "Quand": [fmt_datetime(v) for v in changes["changed_at"]],
        "Qui": changes["changed_by"].map(author),
        "Élément": [element(e, c) for e, c in zip(entities, changes["action_code"], strict=True)],
        "Champ": [field_label(e, f) for e, f in zip(entities, changes["field"], strict=True)],
        "Modification": [change_text(k, f, o, n) for k, f, o, n in
                         zip(kinds, changes["field"], changes["old_value"], changes["new_value"], strict=True)],
        "Commentaire": changes["comment"].fillna(""),
    })


def change_text(kind: str, field: str, old: Any, new: Any) -> str:
    """What one history row did, in words: « 40 % → 55 % », « + PGP, − PPI », « création »."""
    if field in ("action", "objective"):  # a whole element
        if kind == "delete" or (kind == "undo" and missing(new)):
            return "suppression"
        if kind in ("create", "import") or (kind == "undo" and missing(old)):
            return "création" if kind != "undo" else "rétablissement"
        return f"{_history_value(old, field)} → {_history_value(new, field)}"
    before, after = _history_list(old), _history_list(new)
    if before is not None and after is not None:
        added = [f"+ {v}" for v in after if v not in before]
        removed = [f"− {v}" for v in before if v not in after]
        if added or removed:
            return ", ".join(added + removed)
        if before != after:
            return "nouvel ordre : " + (", ".join(after) or EMPTY)
    return f"{_history_value(old, field)} → {_history_value(new, field)}"


def _history_list(value: Any) -> list[str] | None:
    """A list field's history value (JSON) as its items' names; None for any other value.
    An empty value beside a list (a first label) counts as the empty list."""
    if missing(value) or value == "":
        return []
    if not isinstance(value, str) or not value.startswith("["):
        return None
    try:
        items = json.loads(value)
    except ValueError:
        return None
    if not isinstance(items, list):
        return None
    return [str(i.get("title") or i.get("label") or i) if isinstance(i, dict) else str(i) for i in items]


def field_label(entity: str | None, field: str) -> str:
    """A history row's field in French (the plan's own fields have names of their own)."""
    if entity == "plan" and field in PLAN_FIELD_LABELS:
        return PLAN_FIELD_LABELS[field]
    return FIELD_LABELS.get(field, field)


def _history_value(value, field: str) -> str:
    if missing(value):
        return EMPTY
    if field == "progress":
        return fmt_percent(float(value), 0)
    if field == "position":
        return f"{int(value) + 1}ᵉ"
    # lists (labels, services, partners…) are kept as JSON: shown as "a, b"
    items = _history_list(value) if isinstance(value, str) and value.startswith("[") else None
    if items is not None:
        return ", ".join(items) or EMPTY
    return str(value)


def change_summary(group: pd.DataFrame) -> str:
    """One line naming a whole change (the rows of one change_id), for the undo list."""
    # An OS or OO row names the change (deleting an OS also writes a row per action under it).
    objectives = group[group["entity"].isin(["os", "oo"])] if "entity" in group else group.iloc[:0]
    first = objectives.iloc[0] if len(objectives) else group.iloc[0]
    entity = first.get("entity") or "action"
    name = element_name(entity, first["action_code"])
    kinds = set(group["kind"])
    if "delete" in kinds and entity in ("os", "oo"):
        return f"suppression de {name} et de ses actions"
    if "delete" in kinds:
        return f"suppression de l'action {name}"
    if "create" in kinds:
        return f"création de {name}" if entity != "action" else f"création de l'action {name}"
    if set(group["field"]) == {"position"}:
        return f"ordre des {'OS' if entity == 'os' else 'OO'}"
    if group["action_code"].nunique() > 1:
        return f"{group['action_code'].nunique()} actions ({', '.join(group['action_code'].unique()[:4])}…)"
    fields = ", ".join(dict.fromkeys(field_label(entity, f) for f in group["field"]))
    return f"{name if entity != 'action' else 'action ' + name} : {fields}"


def fmt_points(value) -> str:
    """A difference of taux, in percentage points: "+15 pts", "−2,5 pts", "0 pt"."""
    if value is None or pd.isna(value):
        return EMPTY
    sign = "+" if value > 0 else "−" if value < 0 else ""
    return f"{sign}{fmt_number(abs(value))}\u00a0{'pts' if abs(value) >= 2 else 'pt'}"


def snapshot_list_table(listed: pd.DataFrame) -> pd.DataFrame:
    """snapshots.list_snapshots as users read it."""
    return pd.DataFrame({
        "Nom": listed["name"], "État au": [fmt_date(v) for v in listed["as_of"]],
        "Pris le": [fmt_datetime(v) for v in listed["taken_at"]], "Par": listed["taken_by"],
        "Actions": listed["actions"], "Note": listed["note"].fillna(""),
    })


def snapshot_os_table(per_os: pd.DataFrame, then_label: str) -> pd.DataFrame:
    return pd.DataFrame({
        "OS": per_os["os_code"], "Objectif stratégique": per_os["os_title"],
        f"Taux {then_label}": [fmt_percent(v) for v in per_os["mean_then"]],
        "Taux aujourd'hui": [fmt_percent(v) for v in per_os["mean_now"]],
        "Écart": [fmt_points(v) for v in per_os["difference"]],
        "Actions (alors → aujourd'hui)": [f"{t} → {n}" for t, n in zip(per_os["actions_then"], per_os["actions_now"],
                                                                         strict=True)],
    })


def snapshot_action_table(per_action: pd.DataFrame, then_label: str, moved_only: bool = False) -> pd.DataFrame:
    rows = per_action
    if moved_only:
        rows = rows[(rows["difference"].fillna(0) != 0) | (rows["note"] != "")
                    | (rows["progress_then"].isna() != rows["progress_now"].isna())]
    return pd.DataFrame({
        "Code": rows["code"], "Action": rows["title"],
        f"Taux {then_label}": [fmt_percent(v, 0) for v in rows["progress_then"]],
        "Taux aujourd'hui": [fmt_percent(v, 0) for v in rows["progress_now"]],
        "Écart": [fmt_points(v) for v in rows["difference"]],
        "Remarque": rows["note"],
    })


def snapshot_chart_rows(per_os: pd.DataFrame, then_label: str) -> pd.DataFrame:
    """Long form for charts.grouped_progress: one row per (OS, moment)."""
    then = per_os.assign(moment=then_label, mean_progress=per_os["mean_then"], actions=per_os["actions_then"])
    now = per_os.assign(moment="Aujourd'hui", mean_progress=per_os["mean_now"], actions=per_os["actions_now"])
    return pd.concat([then, now])[["os_code", "os_title", "moment", "mean_progress", "actions"]]


# -- the public page ----------------------------------------------------------------------

def public_os_table(per_os: pd.DataFrame) -> pd.DataFrame:
    """The text alternative of the public chart: every bar as a row."""
    return pd.DataFrame({
        "Objectif stratégique": [f"OS {c} · {t}" for c, t in zip(per_os["os_code"], per_os["os_title"], strict=True)],
        "Taux moyen": [fmt_percent(v) if not pd.isna(v) else "aucun taux" for v in per_os["mean_progress"]],
        "Actions": [int(n) for n in per_os["actions"]],
        "Sans taux": [int(n) for n in per_os["unassessed"]],
    })


def public_chart_sentence(per_os: pd.DataFrame) -> str:
    """One sentence saying what the chart shows, for those who cannot see it."""
    assessed = per_os.dropna(subset=["mean_progress"])
    if assessed.empty:
        return "Aucun objectif stratégique n'a encore d'action avec un taux d'avancement."
    best = assessed.loc[assessed["mean_progress"].idxmax()]
    worst = assessed.loc[assessed["mean_progress"].idxmin()]
    return (f"Le graphique montre le taux d'avancement moyen de chacun des {len(per_os)} objectifs stratégiques : "
            f"de {fmt_percent(worst['mean_progress'])} (OS {worst['os_code']}) à "
            f"{fmt_percent(best['mean_progress'])} (OS {best['os_code']}). Le tableau qui suit donne chaque valeur.")


def public_action_table(actions: pd.DataFrame, show_names: bool, running: bool = False) -> pd.DataFrame:
    """Actions as the public sees them: code, title, status, taux (and, while the plan runs,
    where each stands against its calendar); the chef de projet only when the admin chose to
    publish names."""
    table = pd.DataFrame({
        "Code": actions["code"].tolist(),
        "Action": actions["title"].tolist(),
        "Statut": [s if isinstance(s, str) and s else "non renseigné" for s in actions["status"]],
        "Taux d'avancement": [fmt_percent(p, 0) if not pd.isna(p) else "non évalué" for p in actions["progress"]],
    })
    if running:
        table["Calendrier"] = actions["schedule"].astype(str).tolist()
    if show_names:
        table["Chef de projet"] = [n if isinstance(n, str) and n else "—" for n in actions["project_lead"]]
    return table


def label_change_preview(actions: pd.DataFrame, label: str, give: bool) -> tuple[pd.DataFrame, int]:
    """The actions that giving (or taking away) ``label`` would change, and how many are left
    as they are (they already have it, or never had it)."""
    if actions.empty:
        return actions, 0
    has = actions["labels"].map(lambda names: label in names)
    changing = actions[~has] if give else actions[has]
    return changing, len(actions) - len(changing)


@dataclass(frozen=True)
class KeyFigure:
    """One figure of the home page, honest about what it cannot say."""

    label: str
    value: str
    help: str
    delta: str | None = None  # « +2,5 pts sur 30 jours » (a leading "-" draws the arrow down)
    delta_color: str = "normal"  # normal | inverse (fewer is better) | off

    @property
    def delta_arrow(self) -> str:
        """No arrow for « inchangé » (an arrow up would say it rose)."""
        return "off" if self.delta and self.delta.startswith("inchangé") else "auto"


def _delta(now: float | None, then: float | None, unit: str, since: str, decimals: int = 0) -> str | None:
    if now is None or then is None or pd.isna(now) or pd.isna(then):
        return None
    diff = round(float(now) - float(then), decimals)
    if diff == 0:
        return f"inchangé {since}"
    sign = "+" if diff > 0 else "-"
    return f"{sign}{fmt_number(abs(diff), decimals)} {unit}{'s' if abs(diff) >= 2 else ''} {since}"


def key_figures(actions: pd.DataFrame, bands: Sequence[dict[str, Any]] | None,
                then: pd.DataFrame | None = None, since: str = "") -> list[KeyFigure]:
    """Actions, mean taux, finalised, late, without taux; with the change since ``then`` (the
    same filters, at the last Bureau) when given. A plan whose document gives no taux or no
    due date says so instead of showing 0."""
    def figures(frame: pd.DataFrame) -> dict[str, Any]:
        summary = summarise(frame["progress"].tolist(), frame["weight"].tolist(), bands)
        return {"actions": summary.actions, "mean": summary.mean_progress, "assessed": summary.assessed,
                "finalised": int((frame["status"] == "Finalisé").sum()), "late": int(frame["is_late"].sum()),
                "dated": int(frame["due_date"].notna().sum()), "unassessed": summary.unassessed,
                "drifting": int(frame["schedule"].isin(schedule.DRIFTING).sum()),
                "expected": int(frame["expected_progress"].notna().sum())}

    now = figures(actions)
    before = figures(then) if then is not None and not then.empty else None
    old = (lambda key: before[key]) if before else (lambda key: None)
    no_taux = now["assessed"] == 0
    no_dates = now["dated"] == 0
    return [
        KeyFigure("Actions", fmt_number(now["actions"], 0), "Actions du plan qui passent les filtres.",
                  _delta(now["actions"], old("actions"), "action", since), "off"),
        KeyFigure("Taux d'avancement moyen", EMPTY if no_taux else fmt_percent(now["mean"]),
                  "Aucune action n'a encore de taux : le document source n'en donne pas." if no_taux else
                  "Moyenne pondérée des actions qui ont un taux ; les actions sans taux ne comptent pas pour 0.",
                  None if no_taux else _delta(now["mean"], old("mean") if before and before["assessed"] else None,
                                              "pt", since, 1)),
        KeyFigure("Finalisées (statut)", fmt_number(now["finalised"], 0),
                  "Le statut déclaré « Finalisé ». À ne pas confondre avec la bande « Réalisé », qui classe "
                  "le taux d'avancement : une action peut être dans la bande la plus haute sans être finalisée.",
                  _delta(now["finalised"], old("finalised"), "action", since)),
        KeyFigure("En retard", EMPTY if no_dates else fmt_number(now["late"], 0),
                  "Aucune action n'a d'échéance, et le plan n'a pas de période : le retard ne peut pas être calculé."
                  if no_dates else "Échéance dépassée (sans échéance : la fin de la période du plan), taux sous 100 % "
                                   "et ni finalisée ni abandonnée.",
                  None if no_dates else _delta(now["late"], old("late"), "action", since), "inverse"),
        KeyFigure("Qui dérivent", EMPTY if now["expected"] == 0 else fmt_number(now["drifting"], 0),
                  "Aucune action n'a de dates, ni le plan de période : le calendrier ne peut rien attendre." if
                  now["expected"] == 0 else
                  "En retard sur leur calendrier (taux sous le seuil du plan, rapporté au taux que leurs dates "
                  "attendent à ce jour) mais échéance pas encore dépassée : là où agir avant qu'il ne soit trop tard.",
                  None if now["expected"] == 0 else _delta(now["drifting"], old("drifting"), "action", since),
                  "inverse"),
        KeyFigure("Sans taux", fmt_number(now["unassessed"], 0), "Actions dont le taux n'est pas renseigné.",
                  _delta(now["unassessed"], old("unassessed"), "action", since), "inverse"),
    ]


def resource_totals(actions: pd.DataFrame, by: str = "os") -> pd.DataFrame:
    """Budget (€) and staff (ETP) summed per OS (``by="os"``) or per OO (``by="oo"``) and for the
    whole selection (the documents give them per fiche), with how many actions give none: a sum
    over half the fiches is not the plan's budget, and the table says so."""
    level = {"os": ("OS", "Objectif stratégique"), "oo": ("OO", "Objectif opérationnel")}[by]

    def row(code: str, title: str, part: pd.DataFrame) -> dict[str, Any]:
        return {level[0]: code, level[1]: title, **resource_figures(part)}

    rows = [row(str(code), str(group[f"{by}_title"].iloc[0]), group)
            for code, group in actions.groupby(f"{by}_code", sort=False)]
    rows.append(row("Total", "Toutes les actions affichées", actions))
    return pd.DataFrame(rows)


def resource_figures(part: pd.DataFrame) -> dict[str, str]:
    return {"Budget (€)": fmt_euro(part["budget"].sum()) if part["budget"].notna().any() else EMPTY,
            "Sans budget": f"{int(part['budget'].isna().sum())} / {len(part)}",
            "ETP": fmt_number(part["staff_fte"].sum(), 2) if part["staff_fte"].notna().any() else EMPTY,
            "Sans ETP": f"{int(part['staff_fte'].isna().sum())} / {len(part)}"}


def resource_sentence(part: pd.DataFrame) -> str:
    """« Budget des fiches : 1 234 € (3 actions sur 20 sans budget) · ETP : 2,5 (…) », for the report."""
    figures = resource_figures(part)
    without_budget, without_staff = int(part["budget"].isna().sum()), int(part["staff_fte"].isna().sum())
    budget = (f"Budget des fiches : {figures['Budget (€)']}"
              + (f" ({plural(without_budget, 'action')} sur {len(part)} sans budget)" if without_budget else "")
              if part["budget"].notna().any() else "Aucune fiche ne chiffre de budget")
    staff = (f"ETP : {figures['ETP']}"
             + (f" ({plural(without_staff, 'action')} sur {len(part)} sans ETP)" if without_staff else "")
             if part["staff_fte"].notna().any() else "aucune fiche ne chiffre d'ETP")
    return f"{budget} · {staff}."


def synergy_rows(actions: pd.DataFrame) -> pd.DataFrame:
    """The Ville–CPAS synergies of a selection, as the page and the report list them."""
    marked = actions[actions["with_commune"].astype(bool)] if not actions.empty else actions
    return pd.DataFrame({
        "Code": marked["code"].astype(str), "Action": marked["title"].astype(str),
        "Taux": [fmt_percent(v, 0) if not missing(v) else EMPTY for v in marked["progress"]],
        "Statut": marked["status"].fillna(EMPTY).astype(str),
        "Partenaires": [", ".join(p) or EMPTY for p in marked["partners"]],
    })


def synergy_sentence(actions: pd.DataFrame) -> str:
    marked = actions[actions["with_commune"].astype(bool)] if not actions.empty else actions
    if marked.empty:
        return "Aucune action n'est marquée comme synergie Ville–CPAS."
    summary = summarise(marked["progress"].tolist(), marked["weight"].tolist())
    ending = "s" if len(marked) > 1 else ""
    return (f"{plural(len(marked), 'action')} sur {len(actions)} menée{ending} avec la commune ou partagée{ending} "
            "avec elle ; "
            f"taux moyen {fmt_percent(summary.mean_progress)}"
            + (f" ({summary.unassessed} sans taux)" if summary.unassessed else "") + ".")


def synergy_suggestions(actions: pd.DataFrame) -> pd.DataFrame:
    """Actions not marked whose partners or services name the commune: to confirm."""
    if actions.empty:
        return actions
    hint = [names_the_commune(p, s) for p, s in zip(actions["partners"], actions["services"], strict=True)]
    return actions[pd.Series(hint, index=actions.index) & ~actions["with_commune"].astype(bool)]


# -- against the calendar ---------------------------------------------------------------------------

def schedule_meanings(thresholds: schedule.Thresholds) -> dict[str, str]:
    """What each schedule status means, with the plan's own thresholds."""
    on, behind = fmt_number(thresholds.on_track, 0), fmt_number(thresholds.behind, 0)
    grace = fmt_number(schedule.GRACE_POINTS, 0)
    return {
        schedule.DONE: "finalisée, ou à 100 %",
        schedule.ON_TIME: f"taux d'au moins {on} % du taux attendu aujourd'hui (ou à {grace} points près)",
        schedule.BEHIND: f"taux entre {behind} et {on} % du taux attendu : à surveiller",
        schedule.FAR_BEHIND: f"taux sous {behind} % du taux attendu : à reprendre",
        schedule.OVERDUE: "échéance passée, taux sous 100 %",
        schedule.NO_TAUX: "datée mais sans taux : rien à comparer",
        schedule.NO_DATES: "ni dates ni période du plan : rien à attendre",
        schedule.SUSPENDED: "suspendue : pas suivie",
        schedule.ABANDONED: "abandonnée : pas suivie",
    }

def schedule_line(group: schedule.GroupSchedule, when: str = "aujourd'hui") -> str:
    """« 45,0 % pour 52,0 % attendus aujourd'hui : en retard sur le calendrier (38 actions suivies
    et datées) »; what cannot be compared says so."""
    if group.expected is None:
        return ("toutes les actions suivies sont terminées" if group.status == schedule.DONE
                else "aucune action suivie n'a à la fois des dates et un taux : rien à comparer au calendrier")
    return (f"{fmt_percent(group.actual)} pour {fmt_percent(group.expected)} attendus {when} : "
            f"{group.status.lower()} ({group.compared} action{'s' if group.compared > 1 else ''} suivie"
            f"{'s' if group.compared > 1 else ''} et datée{'s' if group.compared > 1 else ''})")


@dataclass(frozen=True)
class CalendarSection:
    """The overview's calendar figures, computed once per revision, filters and day."""

    whole: schedule.GroupSchedule
    per_os: pd.DataFrame  # progress.schedule_rollup per OS
    drifting: pd.DataFrame  # drifting_rows
    overdue: pd.DataFrame  # overdue_rows


def calendar_section(actions: pd.DataFrame, plan: dict[str, Any], today) -> CalendarSection:
    thresholds = schedule.Thresholds.of(plan)
    return CalendarSection(schedule_of(actions, thresholds), schedule_rollup(actions, ["os_code", "os_title"], thresholds),
                           drifting_rows(actions), overdue_rows(actions, today))


def drifting_rows(actions: pd.DataFrame) -> pd.DataFrame:
    """« Actions qui dérivent »: behind their calendar, échéance not passed yet, the furthest
    behind first; with the chef de projet and how far behind."""
    drifting = actions[actions["schedule"].isin(schedule.DRIFTING)] if not actions.empty else actions
    drifting = drifting.sort_values("schedule_gap", ascending=False, kind="stable") if len(drifting) else drifting
    return pd.DataFrame({
        "Code": drifting["code"].astype(str), "Action": drifting["title"].astype(str),
        "Chef de projet": drifting["project_lead"].fillna(EMPTY).astype(str),
        "Taux": [fmt_percent(v, 0) for v in drifting["progress"]],
        "Attendu": [fmt_percent(v, 0) for v in drifting["expected_progress"]],
        "Retard": [fmt_points(v) for v in drifting["schedule_gap"]],
        "Échéance": [fmt_date(d) if not missing(d) else (t or EMPTY)
                     for d, t in zip(drifting["end_date"], drifting["end_text"], strict=True)],
        "Situation": drifting["schedule"].astype(str),
    })


def overdue_rows(actions: pd.DataFrame, today) -> pd.DataFrame:
    """The actions whose échéance has passed, the longest overdue first."""
    late = actions[actions["is_late"].astype(bool)] if not actions.empty else actions
    days = [schedule.days_late(d, today) for d in late["due_date"]]
    late = late.assign(_days=days).sort_values("_days", ascending=False, kind="stable") if len(late) else late
    return pd.DataFrame({
        "Code": late["code"].astype(str), "Action": late["title"].astype(str),
        "Taux": [fmt_percent(v, 0) for v in late["progress"]],
        "Échéance": [fmt_date(d) if not missing(e) else f"fin du plan ({fmt_date(d)})"
                     for d, e in zip(late["due_date"], late["end_date"], strict=True)],
        "Retard": [f"{n} j" for n in late["_days"]] if len(late) else [],
        "Chef de projet": late["project_lead"].fillna(EMPTY).astype(str),
    })


# Follow-up fields: what « Ce qui a changé » names, in this order.
DIGEST_FIELDS = ("progress", "status", "health", "comment", "measure")
# A directeur's housekeeping: folded away from « Ce qui a changé ».
HOUSEKEEPING_FIELDS = frozenset({"labels", "lead_account", "with_commune", "position", "weight", "sub_actions",
                                 "indicator", "operational_objective"})


def change_digest(changes: pd.DataFrame, titles: dict[tuple[str, str], str] | None = None
                  ) -> tuple[pd.DataFrame, int]:
    """One line per action changed (``changes``: history rows, newest first): « 2.1.3 · taux
    45 → 75 % · santé : En difficulté (raison) », the taux from its first old value to its last
    new one; and how many rows of housekeeping (labels, account links, calendar, settings…) were
    folded away."""
    titles = titles or {}
    if changes.empty:
        return pd.DataFrame(columns=["Action", "Ce qui a changé", "Par", "Dernière modification"]), 0
    entity = changes["entity"].fillna("action") if "entity" in changes else pd.Series("action", index=changes.index)
    about_actions = changes[entity.eq("action") & ~changes["field"].isin(HOUSEKEEPING_FIELDS)]
    folded = len(changes) - len(about_actions)
    rows = []
    for code, group in about_actions.groupby("action_code", sort=False):
        oldest_first = group.iloc[::-1]
        parts = []
        whole = oldest_first[oldest_first["field"] == "action"]
        for kind, old, new in zip(whole["kind"], whole["old_value"], whole["new_value"], strict=True):
            parts.append(change_text(kind, "action", old, new))
        for name in DIGEST_FIELDS:
            rows_of = oldest_first[oldest_first["field"] == name]
            if rows_of.empty:
                continue
            first, last = rows_of.iloc[0], rows_of.iloc[-1]
            if name == "progress":
                parts.append(f"taux {_taux(first['old_value'])} → {_taux(last['new_value'])}")
            elif name == "health":
                reason = oldest_first[oldest_first["field"] == "health_reason"]
                why = reason.iloc[-1]["new_value"] if len(reason) else None
                parts.append(f"santé : {_history_value(last['new_value'], name)}"
                             + (f" ({why})" if not missing(why) and why else ""))
            elif name == "status":
                parts.append(f"statut : {_history_value(first['old_value'], name)} → "
                             f"{_history_value(last['new_value'], name)}")
            elif name == "comment":
                parts.append(f"commentaire : {_history_value(last['new_value'], name)}")
            else:
                parts.append(f"{len(rows_of)} mesure{'s' if len(rows_of) > 1 else ''} d'indicateur")
        if "health" not in set(oldest_first["field"]) and "health_reason" in set(oldest_first["field"]):
            parts.append(f"raison (santé) : {_history_value(oldest_first[oldest_first['field'] == 'health_reason'].iloc[-1]['new_value'], 'health_reason')}")
        others = [field_label("action", f) for f in dict.fromkeys(oldest_first["field"])
                  if f not in DIGEST_FIELDS and f not in ("action", "health_reason")]
        if others:
            parts.append("aussi : " + ", ".join(others).lower())
        said = [c for c in oldest_first["comment"] if not missing(c) and str(c).strip()] \
            if "comment" in oldest_first else []
        if said:  # what the person wrote with the change (a quick edit's comment)
            parts.append(f"« {said[-1]} »")
        title = titles.get(("action", str(code)))
        rows.append({"Action": f"{code} · {title}" if title else str(code), "Ce qui a changé": " · ".join(parts),
                     "Par": ", ".join(dict.fromkeys(group["changed_by"].map(author))),
                     "Dernière modification": fmt_datetime(group["changed_at"].iloc[0])})
    return pd.DataFrame(rows, columns=["Action", "Ce qui a changé", "Par", "Dernière modification"]), folded


def _taux(value: Any) -> str:
    return EMPTY if missing(value) or value == "" else fmt_percent(float(value), 0)


def status_report(plan: dict[str, Any], actions: pd.DataFrame, trajectories: dict[str, Any], as_of) -> dict[str, Any]:
    """The schedule of a plan as plain data (``python -m pst_data status``): per action its code,
    taux, expected taux and schedule status; for the plan and each OS, taux against expected,
    status, counts and the forecast."""
    thresholds = schedule.Thresholds.of(plan)

    def number(value: Any, decimals: int = 1) -> float | None:
        return None if missing(value) else round(float(value), decimals)

    def group(part: pd.DataFrame, scope: str) -> dict[str, Any]:
        result = schedule_of(part, thresholds)
        path = trajectories.get(scope)
        forecast = path.forecast if path is not None else None
        return {"actual": number(result.actual), "expected": number(result.expected), "schedule": result.status,
                "compared": result.compared, "counts": {k: v for k, v in result.counts.items() if v},
                "forecast": None if forecast is None else {
                    "sentence": forecast.sentence,
                    "finish": forecast.finish.isoformat() if forecast.finish else None,
                    "pace_per_year": number(forecast.pace_per_year)}}

    return {
        "plan": plan["slug"], "organisation": plan["organisation"], "title": plan["title"],
        "as_of": as_of.isoformat(), "phase": schedule.phase(plan.get("period_end"), as_of),
        "thresholds": {"on_track": thresholds.on_track, "behind": thresholds.behind},
        "actions": [{
            "code": str(row["code"]), "title": str(row["title"]), "os": str(row["os_code"]), "oo": str(row["oo_code"]),
            "progress": None if missing(row["progress"]) else int(row["progress"]),
            "expected_progress": number(row["expected_progress"]), "schedule": row["schedule"],
            "gap_points": number(row["schedule_gap"]),
            "end_date": None if missing(row["end_date"]) else row["end_date"].isoformat(),
            "due_date": None if missing(row["due_date"]) else row["due_date"].isoformat(),
            "days_late": schedule.days_late(row["due_date"], as_of) if row["schedule"] == schedule.OVERDUE else None,
            "project_lead": None if missing(row["project_lead"]) else str(row["project_lead"]),
        } for row in actions.to_dict("records")],
        "summary": group(actions, "Plan"),
        "objectives": [{"code": str(code), "title": str(part["os_title"].iloc[0]), **group(part, f"OS {code}")}
                       for code, part in actions.groupby("os_code", sort=False)],
    }


def status_text(report: dict[str, Any]) -> str:
    """``status_report`` as lines for a terminal or a cron e-mail."""
    def pct(value: Any, decimals: int = 1) -> str:
        return fmt_percent(value, decimals) if value is not None else EMPTY

    lines = [f"{report['organisation']} — {report['title']} · situation au {fmt_date(dt.date.fromisoformat(report['as_of']))} "
             f"(plan {report['phase']})", "", "Code\tTaux\tAttendu\tCalendrier"]
    for a in report["actions"]:
        lines.append(f"{a['code']}\t{pct(a['progress'], 0)}\t{pct(a['expected_progress'], 0)}\t{a['schedule']}"
                     + (f" ({a['days_late']} j)" if a["days_late"] else ""))
    lines.append("")
    for name, g in [("Plan", report["summary"])] + [(f"OS {o['code']}", o) for o in report["objectives"]]:
        lines.append(f"{name} : {pct(g['actual'])} pour {pct(g['expected'])} attendus · {g['schedule']}")
        if g["forecast"]:
            lines.append(f"  {g['forecast']['sentence']}")
    return "\n".join(lines)


def plan_tree(plan_data: dict[str, Any]) -> pd.DataFrame:
    """A new plan as the import preview shows it before « Importer »: one row per OS, OO and
    action, with each action's taux, dates (as the file words them) and labels."""
    rows = []
    for os_ in plan_data.get("strategic_objectives") or []:
        rows.append(("OS", os_["code"], os_["title"], EMPTY, EMPTY, EMPTY, EMPTY))
        for oo in os_.get("operational_objectives") or []:
            rows.append(("OO", oo["code"], oo["title"], EMPTY, EMPTY, EMPTY, EMPTY))
            for action in oo.get("actions") or []:
                progress = action.get("progress")
                rows.append(("Action", action["code"], action["title"],
                             EMPTY if progress is None else fmt_percent(progress),
                             action.get("start") or EMPTY, action.get("end") or EMPTY,
                             ", ".join(action.get("labels") or []) or EMPTY))
    return pd.DataFrame(rows, columns=["Niveau", "Code", "Intitulé", "Taux", "Début", "Fin", "Labels"])
