"""What a plan document says about itself, against what its fiches give.

The dashboard always computes from the fiches; this table shows where the document's own
summary agrees and where it does not, so nobody is surprised at the Bureau.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from pst_data.rules.formatting import fmt_number, fmt_percent
from pst_data.rules.progress import summarise, top_priority


@dataclass(frozen=True)
class StatedFigure:
    what: str
    stated: str
    computed: str
    agrees: bool


def stated_vs_computed(
    plan: dict[str, Any], actions: pd.DataFrame, objectives: pd.DataFrame
) -> list[StatedFigure]:
    stated = plan.get("stated_totals") or {}
    out: list[StatedFigure] = []

    def count(what: str, key: str, computed: int) -> None:
        if key in stated:
            out.append(StatedFigure(what, fmt_number(stated[key], 0), fmt_number(computed, 0),
                                    int(stated[key]) == computed))

    count("Objectifs stratégiques", "strategic_objectives", objectives["os_code"].nunique()
          if not objectives.empty else 0)
    count("Objectifs opérationnels", "operational_objectives",
          objectives["oo_code"].dropna().nunique() if not objectives.empty else 0)
    count("Actions / projets", "actions", len(actions))
    top = top_priority(plan["priority_scale"])
    if top:
        count(f"Actions de priorité « {top} »", "priority_actions",
              int(actions["is_top_priority"].sum()) if not actions.empty else 0)
    summary = summarise(actions["progress"].tolist() if not actions.empty else [],
                        actions["weight"].tolist() if not actions.empty else [],
                        plan["evaluation_bands"])
    for label, value in (stated.get("band_counts") or {}).items():
        computed = summary.band_counts.get(label, 0)
        out.append(StatedFigure(f"Actions « {label} »", fmt_number(value, 0),
                                fmt_number(computed, 0), int(value) == computed))
    if "success_rate_percent" in stated:
        top_band = plan["evaluation_bands"][0]["label"] if plan["evaluation_bands"] else None
        realised = summary.band_counts.get(top_band, 0) if top_band else 0
        share = realised / summary.actions * 100 if summary.actions else None
        out.append(StatedFigure(
            "Taux de réussite annoncé", fmt_percent(stated["success_rate_percent"], 0),
            f"taux moyen {fmt_percent(summary.mean_progress)} ; part « {top_band} » {fmt_percent(share)}",
            summary.mean_progress is not None
            and round(summary.mean_progress) == int(stated["success_rate_percent"]),
        ))
    return out
