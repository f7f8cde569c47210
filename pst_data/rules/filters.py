"""The shared filters: what they mean, how they read from and write to a URL, how they apply.

URL form (every page): ``?plan=binche&priority=1&label=PPI&label=PGP&service=...&lead=...
&status=En+cours&os=1&late=1&drift=1&health=En+difficulté&stale=1&commune=1&q=texte``. Reading a URL never raises: unknown values are dropped
and reported in French so the page can say so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from db.limits import HEALTHS, STATUSES
from pst_data.rules.schedule import DRIFTING
from pst_data.rules.text import fold

NO_STATUS = "Non renseigné"
NO_HEALTH = "Non renseignée"


@dataclass(frozen=True)
class Filters:
    plan: str | None = None
    priority1: bool = False
    labels: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    leads: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    os_codes: tuple[str, ...] = ()
    late: bool = False
    drifting: bool = False  # behind their calendar, échéance not passed (pst_data.rules.schedule.DRIFTING)
    search: str = ""
    healths: tuple[str, ...] = ()
    stale: bool = False  # open actions not updated for the plan's number of days
    commune: bool = False  # Ville–CPAS synergies only

    @property
    def active(self) -> bool:
        """True when anything beyond the plan narrows the actions."""
        return self != Filters(plan=self.plan)

    def without_plan_specifics(self) -> Filters:
        """What survives a change of plan (services, leads and OS codes belong to one plan)."""
        return replace(self, services=(), leads=(), os_codes=())

    def to_query_params(self) -> dict[str, str | list[str]]:
        params: dict[str, str | list[str]] = {}
        if self.plan:
            params["plan"] = self.plan
        if self.priority1:
            params["priority"] = "1"
        for key, values in (("label", self.labels), ("service", self.services),
                            ("lead", self.leads), ("status", self.statuses), ("os", self.os_codes)):
            if values:
                params[key] = list(values)
        if self.late:
            params["late"] = "1"
        if self.drifting:
            params["drift"] = "1"
        if self.healths:
            params["health"] = list(self.healths)
        if self.stale:
            params["stale"] = "1"
        if self.commune:
            params["commune"] = "1"
        if self.search:
            params["q"] = self.search
        return params


@dataclass
class ParsedFilters:
    filters: Filters
    problems: list[str] = field(default_factory=list)


def _values(params: Mapping[str, Any], key: str) -> list[str]:
    getter = getattr(params, "get_all", None)
    if getter is not None:  # st.query_params
        return [v for v in getter(key) if v != ""]
    value = params.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [v for v in value if v != ""]


def parse_query_params(
    params: Mapping[str, Any],
    plan_slugs: Sequence[str],
    label_names: Sequence[str],
    default_plan: str | None,
) -> ParsedFilters:
    """Read filters from a URL's query parameters, checking plan, labels and statuses.

    Services, leads and OS codes depend on the plan's data: ``restrict_to_plan`` checks them.
    """
    problems: list[str] = []
    plans = _values(params, "plan")
    plan = plans[0] if plans else default_plan
    if plan is not None and plan not in plan_slugs:
        problems.append(
            f"Le plan « {plan} » n'existe pas dans la base ; plans disponibles : {', '.join(plan_slugs)}."
        )
        plan = default_plan
    labels = _values(params, "label")
    unknown = [name for name in labels if name not in label_names]
    if unknown:
        problems.append(f"{'Label inconnu ignoré' if len(unknown) == 1 else 'Labels inconnus ignorés'} : "
                        f"{', '.join(unknown)}.")
    statuses = _values(params, "status")
    bad_status = [s for s in statuses if s not in STATUSES + (NO_STATUS,)]
    if bad_status:
        problems.append(f"{'Statut inconnu ignoré' if len(bad_status) == 1 else 'Statuts inconnus ignorés'} : "
                        f"{', '.join(bad_status)}.")
    healths = _values(params, "health")
    bad_health = [h for h in healths if h not in HEALTHS + (NO_HEALTH,)]
    if bad_health:
        problems.append(f"{'Santé inconnue ignorée' if len(bad_health) == 1 else 'Santés inconnues ignorées'} : "
                        f"{', '.join(bad_health)}.")
    filters = Filters(
        plan=plan,
        priority1=_values(params, "priority")[:1] == ["1"],
        labels=tuple(n for n in labels if n in label_names),
        services=tuple(_values(params, "service")),
        leads=tuple(_values(params, "lead")),
        statuses=tuple(s for s in statuses if s not in bad_status),
        os_codes=tuple(_values(params, "os")),
        late=_values(params, "late")[:1] == ["1"],
        drifting=_values(params, "drift")[:1] == ["1"],
        healths=tuple(h for h in healths if h not in bad_health),
        stale=_values(params, "stale")[:1] == ["1"],
        commune=_values(params, "commune")[:1] == ["1"],
        search=(_values(params, "q") or [""])[0].strip()[:200],
    )
    return ParsedFilters(filters, problems)


def filter_options(actions: pd.DataFrame) -> dict[str, list[str]]:
    """The values the plan's actions offer for each multi-choice filter, in a stable order."""
    if actions.empty:
        return {"services": [], "leads": [], "os_codes": []}
    services = sorted({s for names in actions["services"] for s in names}, key=str.casefold)
    leads = sorted({p for p in actions["project_lead"].dropna()}, key=str.casefold)
    os_codes = list(dict.fromkeys(actions["os_code"]))
    return {"services": services, "leads": leads, "os_codes": os_codes}


def restrict_to_plan(filters: Filters, options: dict[str, list[str]], os_codes: Sequence[str]) -> ParsedFilters:
    """Drop services, leads and OS codes the plan does not have, saying which."""
    problems = []
    kept = {}
    for attr, allowed, one, several in (
        ("services", options["services"], "Service", "Services"),
        ("leads", options["leads"], "Chef de projet", "Chefs de projet"),
        ("os_codes", list(os_codes), "Objectif stratégique", "Objectifs stratégiques"),
    ):
        values = getattr(filters, attr)
        unknown = [v for v in values if v not in allowed]
        if len(unknown) == 1:
            problems.append(f"{one} absent de ce plan, ignoré : {unknown[0]}.")
        elif unknown:
            problems.append(f"{several} absents de ce plan, ignorés : {', '.join(unknown)}.")
        kept[attr] = tuple(v for v in values if v in allowed)
    return ParsedFilters(replace(filters, **kept), problems)


def apply_filters(actions: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The actions that pass every filter (all filters combine with AND; values within one
    filter with OR)."""
    if actions.empty:
        return actions
    mask = pd.Series(True, index=actions.index)
    if filters.priority1:
        mask &= actions["is_top_priority"].astype(bool)
    if filters.labels:
        wanted = set(filters.labels)
        mask &= actions["labels"].map(lambda names: bool(wanted.intersection(names)))
    if filters.services:
        wanted_services = set(filters.services)
        mask &= actions["services"].map(lambda names: bool(wanted_services.intersection(names)))
    if filters.leads:
        mask &= actions["project_lead"].isin(filters.leads)
    if filters.statuses:
        status = actions["status"].fillna(NO_STATUS)
        mask &= status.isin(filters.statuses)
    if filters.os_codes:
        mask &= actions["os_code"].isin(filters.os_codes)
    if filters.late:
        mask &= actions["is_late"].astype(bool)
    if filters.drifting:
        mask &= actions["schedule"].isin(DRIFTING)
    if filters.healths:
        mask &= actions["health"].fillna(NO_HEALTH).isin(filters.healths)
    if filters.stale:
        mask &= actions["is_stale"].astype(bool)
    if filters.commune:
        mask &= actions["with_commune"].astype(bool)
    if filters.search:
        needle = fold(filters.search)
        haystack = (actions["code"].astype(str) + " " + actions["title"].astype(str)).map(fold)
        mask &= haystack.str.contains(needle, regex=False)
    return actions[mask]


def typed_codes(text: str, known: Sequence[str]) -> tuple[list[str], list[str]]:
    """The action codes typed in a field (« 3.1.1, 3.1.2 3.1.3 »): exactly those, never the ones
    that merely look alike (a search would also take 3.1.4 for 3.1.1). Returns (the codes
    found, in the order typed, once each; the codes no action has)."""
    known_set = set(known)
    found: list[str] = []
    unknown: list[str] = []
    for token in text.replace(",", " ").replace(";", " ").split():
        code = token.rstrip(".")
        target = found if code in known_set else unknown
        if code not in target:
            target.append(code)
    return found, unknown
