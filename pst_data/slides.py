"""The presentation to the Bureau permanent, as data: one slide after another. The page shows it;
the PowerPoint export writes the same slides.

Titles, subtitles and figure labels quote the plan's text; ``build_deck(escape=md_escape)`` gives
them for Markdown (the page), the default leaves them plain (PowerPoint). Tables stay plain: a
table cell shows its text as it is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pst_data.formatting import fmt_date, fmt_percent
from pst_data.progress import NO_BAND, rollup, summarise, top_priority


@dataclass
class Slide:
    kind: str  # title | os | changes | late
    title: str
    subtitle: str = ""
    figures: list[tuple[str, str]] = field(default_factory=list)  # (label, value)
    rows: pd.DataFrame | None = None  # a table to show
    os_code: str | None = None


def build_deck(plan: dict[str, Any], actions: pd.DataFrame, changes: pd.DataFrame,
               since: dt.date, today: dt.date, filter_text: str,
               escape: Callable[[str], str] = str) -> list[Slide]:
    """``filter_text`` is inserted as given: escape it the same way as ``escape`` does."""
    bands = plan["evaluation_bands"]
    total = summarise(actions["progress"].tolist(), actions["weight"].tolist(), bands)
    deck = [Slide(
        "title", f"{escape(plan['organisation'])} — suivi du PST",
        f"{escape(plan['title'])} · situation au {fmt_date(today)} · {filter_text}",
        [("Actions", str(total.actions)), ("Taux moyen", fmt_percent(total.mean_progress)),
         ("Sans taux", str(total.unassessed))]
        + [(escape(label), str(count)) for label, count in total.band_counts.items() if count and label != NO_BAND],
    )]
    top = top_priority(plan["priority_scale"])
    for _, os_row in rollup(actions, ["os_code", "os_title"], bands).iterrows():
        mine = actions[actions["os_code"] == os_row["os_code"]]
        per_oo = rollup(mine, ["oo_code", "oo_title"], bands)
        table = pd.DataFrame({
            "OO": per_oo["oo_code"], "Objectif opérationnel": per_oo["oo_title"],
            "Taux moyen": [fmt_percent(v) for v in per_oo["mean_progress"]], "Actions": per_oo["actions"]})
        moved = changes[(changes["field"] == "progress") & changes["action_code"].isin(mine["code"])]
        figures = [("Taux moyen", fmt_percent(os_row["mean_progress"])), ("Actions", str(os_row["actions"])),
                   ("Sans taux", str(os_row["unassessed"])), ("Taux modifiés depuis le dernier Bureau", str(len(moved)))]
        if top:
            prio = mine[mine["is_top_priority"]]
            figures.append((f"Priorité « {escape(top)} »", ", ".join(escape(c) for c in prio["code"]) or "aucune"))
        deck.append(Slide("os", f"OS {escape(os_row['os_code'])} · {escape(os_row['os_title'])}", "", figures, table,
                          os_code=os_row["os_code"]))
    shown = changes[changes["action_code"].isin(actions["code"])]
    deck.append(Slide(
        "changes", "Ce qui a changé depuis le dernier Bureau",
        f"depuis le {fmt_date(since)} : {len(shown)} modification(s)", [],
        shown[["changed_at", "changed_by", "action_code", "field", "old_value", "new_value", "comment"]]
        if not shown.empty else None))
    late = actions[actions["is_late"]]
    deck.append(Slide(
        "late", "Projets en retard", f"{len(late)} action(s) dont l'échéance est dépassée", [],
        pd.DataFrame({"Code": late["code"], "Action": late["title"],
                      "Taux": [fmt_percent(v, 0) for v in late["progress"]],
                      "Échéance": [fmt_date(d) for d in late["end_date"]],
                      "Chef de projet": late["project_lead"].fillna("—")}) if not late.empty else None))
    return deck
