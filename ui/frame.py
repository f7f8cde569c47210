"""The frame every page calls first: page config, shared sidebar filters, URL sync, live refresh.

Filter state lives in ``st.session_state[STORE]`` (survives page switches) and is mirrored in
the URL's query parameters (shareable). A URL whose parameters differ from the last ones this
session wrote is a link someone opened: it wins over the session's state.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from db.models import HEALTHS, STATUSES
from pst_data.rules import clock
from pst_data.rules.filters import (
    NO_HEALTH,
    NO_STATUS,
    Filters,
    apply_filters,
    filter_options,
    parse_query_params,
    restrict_to_plan,
)
from pst_data.exchange.workbook import template_workbook
from pst_data.rules.access import Actor
from pst_data.rules.progress import top_priority
from pst_data.rules.text import md_escape
from ui import auth, data
from ui.auth import Viewer
from ui.components import download_button
from ui.editing import edit_messages
from ui.errors import install_error_message
from ui.importing import FROM_FILE, import_box

STORE = "pst_filters"
LAST_PARAMS = "pst_last_query_params"
SEEN_REVISIONS = "pst_seen_revisions"
LIVE_REFRESH_SECONDS = 2

NAVIGATION = (  # (script, label, icon): the pages/ folder, with French labels
    ("dashboard.py", "Vue d'ensemble", ":material/dashboard:"),
    ("pages/12_Mes_actions.py", "Mes actions", ":material/task_alt:"),
    ("pages/1_Objectifs.py", "Objectifs", ":material/account_tree:"),
    ("pages/2_Priorités.py", "Priorités", ":material/star:"),
    ("pages/3_Labels.py", "Labels", ":material/sell:"),
    ("pages/4_Comparaison.py", "Comparaison", ":material/compare_arrows:"),
    ("pages/5_Mise_à_jour.py", "Mise à jour", ":material/edit:"),
    ("pages/6_Journal.py", "Journal", ":material/history:"),
    ("pages/7_Présentation.py", "Présentation", ":material/slideshow:"),
    ("pages/14_Indicateurs.py", "Indicateurs", ":material/monitoring:"),
    ("pages/8_Évaluation.py", "Évaluation", ":material/assignment:"),
    ("pages/13_Bureau_et_relances.py", "Bureau et relances", ":material/event:"),
)
ACCOUNT_PAGE = ("pages/9_Mon_compte.py", "Mon compte", ":material/person:")
ADMIN_PAGE = ("pages/10_Administration.py", "Administration", ":material/admin_panel_settings:")
PUBLIC_PAGE = ("pages/11_PST_public.py", "Page publique", ":material/public:")

WIDGETS = {  # Filters attribute -> widget key
    "plan": "w_plan", "priority1": "w_priority1", "labels": "w_labels", "services": "w_services",
    "leads": "w_leads", "statuses": "w_statuses", "os_codes": "w_os", "late": "w_late", "drifting": "w_drifting",
    "search": "w_search", "healths": "w_healths", "stale": "w_stale", "commune": "w_commune",
}


@dataclass
class PageContext:
    plan: dict
    plans: list[dict]
    filters: Filters
    all_actions: pd.DataFrame
    actions: pd.DataFrame  # after filters
    labels: pd.DataFrame
    revision: int
    today: dt.date
    viewer: Viewer

    @property
    def actor(self) -> Actor | None:
        """The logged-in account (None: reading without an account, or a Bureau screen)."""
        return self.viewer.actor

    @property
    def directs(self) -> bool:
        """May change this plan's fields and structure (directeur of the plan, or admin)."""
        return self.actor is not None and self.actor.directs(self.plan["id"])

    @property
    def top_priority(self) -> str | None:
        return top_priority(self.plan["priority_scale"])


def _query_params_dict() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params.keys()}


def _normalised(params: dict) -> dict[str, list[str]]:
    return {k: (v if isinstance(v, list) else [v]) for k, v in params.items() if v}


def _widgets_to_filters() -> Filters:
    s = st.session_state
    return Filters(
        plan=s.get(WIDGETS["plan"]),
        priority1=bool(s.get(WIDGETS["priority1"], False)),
        labels=tuple(s.get(WIDGETS["labels"], ())),
        services=tuple(s.get(WIDGETS["services"], ())),
        leads=tuple(s.get(WIDGETS["leads"], ())),
        statuses=tuple(s.get(WIDGETS["statuses"], ())),
        os_codes=tuple(s.get(WIDGETS["os_codes"], ())),
        late=bool(s.get(WIDGETS["late"], False)),
        drifting=bool(s.get(WIDGETS["drifting"], False)),
        search=(s.get(WIDGETS["search"]) or "").strip(),
        healths=tuple(s.get(WIDGETS["healths"], ())),
        stale=bool(s.get(WIDGETS["stale"], False)),
        commune=bool(s.get(WIDGETS["commune"], False)),
    )


def _on_filter_change() -> None:
    st.session_state[STORE] = _widgets_to_filters()


def _on_plan_change() -> None:
    st.session_state[STORE] = _widgets_to_filters().without_plan_specifics()


def reset_filters() -> None:
    current = st.session_state.get(STORE) or Filters()
    st.session_state[STORE] = Filters(plan=current.plan)


def page_frame(title: str, icon: str = ":material/dashboard:", extra_params: tuple[str, ...] = (),
               live: bool = True, live_scope: str = "plan") -> PageContext:
    """Draw the shared frame; ``extra_params`` are the page's own URL parameters to keep
    (e.g. ``action`` for an open fiche). ``live``: rerun the page when the data changes
    (scope "plan": the plan shown; "all": any plan). Pages where someone is typing turn it off:
    a rerun would redraw their form and lose what they typed."""
    install_error_message()
    st.set_page_config(page_title=f"{title} · PST Pilot", page_icon=icon, layout="wide",
                       initial_sidebar_state="collapsed" if title == "Présentation" else "auto")
    today = clock.today()
    viewer = auth.viewer()
    bureau_screen = viewer.actor is None and viewer.bureau_plan_id is not None
    if bureau_screen:
        _bureau_screen_only(title)
    elif not viewer.may_read:
        _ask_to_log_in(title, viewer)
    revision_key = data.revision_key()
    plans = [p for p in data.plans(revision_key) if viewer.sees(p["id"])]
    if not plans and viewer.actor is not None and data.plans(revision_key):
        st.title(title)
        _account_box(viewer)
        st.info("Votre compte n'a accès à aucun plan : demandez-le à l'administrateur de PST Pilot.")
        st.stop()
    if not plans:
        st.title(title)
        if viewer.actor is not None and viewer.actor.is_admin:
            _first_plan(viewer)
        else:
            _account_box(viewer)
            st.info("La base ne contient encore aucun plan : un administrateur l'importe (modèle Excel, XML eComptes).")
        st.stop()
    slugs = [p["slug"] for p in plans]
    labels = data.labels(revision_key)

    problems: list[str] = []
    params = _normalised(_query_params_dict())
    stored: Filters | None = st.session_state.get(STORE)
    if params and params != st.session_state.get(LAST_PARAMS):
        parsed = parse_query_params(params, slugs, labels["name"].tolist(), default_plan=slugs[0])
        filters, problems = parsed.filters, parsed.problems
    elif stored is not None and stored.plan in slugs:
        filters = stored
    else:
        filters = Filters(plan=slugs[0])

    plan = next(p for p in plans if p["slug"] == filters.plan)
    revision = data.revisions().get(plan["slug"], 0)
    all_actions = data.actions(plan, revision, today)
    options = filter_options(all_actions)
    restricted = restrict_to_plan(filters, options, options["os_codes"])
    filters = restricted.filters
    problems += restricted.problems
    st.session_state[STORE] = filters

    if not bureau_screen:
        _sidebar(filters, plans, plan, labels, options, viewer)
    params_out = filters.to_query_params()
    if bureau_screen:
        extra_params = (*extra_params, "bureau")
    params_out.update({k: params[k] for k in extra_params if k in params})
    if _normalised(params_out) != params:
        st.query_params.from_dict(params_out)
    st.session_state[LAST_PARAMS] = _normalised(params_out)

    for problem in problems:
        # The messages quote what the URL asked for: a shared link must not bring Markdown.
        st.warning(md_escape(problem), icon=":material/warning:")
    if live:
        watched = None if live_scope == "all" else plan["slug"]
        st.session_state[SEEN_REVISIONS] = _watched(watched)
        _live_refresh(watched)
    return PageContext(
        plan=plan, plans=plans, filters=filters, all_actions=all_actions,
        actions=apply_filters(all_actions, filters), labels=labels, revision=revision, today=today,
        viewer=viewer,
    )


def _first_plan(viewer: Viewer) -> None:
    """An empty instance, seen by its admin: the first plan is imported right here (every page
    needs a plan, Administration included), from the Excel template or an eComptes file."""
    _account_box(viewer)
    edit_messages()
    st.info("Aucun plan pour l'instant. Téléchargez le modèle Excel, remplissez-le (une ligne par action), puis "
            "importez-le ci-dessous ; un fichier XML eComptes s'importe de la même façon.", icon=":material/upload_file:")
    download_button(st, "Modèle Excel vide", template_workbook, "modele-pst.xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", icon=":material/grid_on:")
    import_box(viewer.actor, {FROM_FILE: "Nouveau plan (celui que nomme le fichier)"})


def _ask_to_log_in(title: str, viewer: Viewer) -> None:
    st.title(title)
    _unknown_forwarded_login(viewer)
    st.info("Connectez-vous pour consulter les plans de votre CPAS.", icon=":material/lock:")
    login_link()
    st.page_link(PUBLIC_PAGE[0], label="Voir la page publique du PST", icon=PUBLIC_PAGE[2])
    st.stop()


def _unknown_forwarded_login(viewer: Viewer) -> None:
    if viewer.forwarded_login and viewer.actor is None:
        st.error(md_escape(f"Le portail de connexion vous identifie comme « {viewer.forwarded_login[:64]} », mais aucun "
                           "compte PST Pilot actif ne porte cet identifiant : demandez-le à l'administrateur."))


def _bureau_screen_only(title: str) -> None:
    """A Bureau link opens Présentation of its plan and nothing else: no sidebar, no link to
    another page, no edit control."""
    st.markdown("<style>[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'], "
                "[data-testid='stExpandSidebarButton'] {display: none;}</style>", unsafe_allow_html=True)
    if title != "Présentation":
        st.title(title)
        st.info("Ce lien ouvre seulement la présentation du plan pour le Bureau.")
        st.stop()


def same_tab_link(label: str, url: str) -> None:
    """A link that opens in this tab (Streamlit's Markdown links open a new one: a login there
    would leave this tab logged out). Our own label and URL, escaped all the same."""
    st.markdown(f'<a href="{html.escape(url)}" target="_self">{html.escape(label)}</a>', unsafe_allow_html=True)


def login_link(label: str = "Se connecter") -> None:
    """A link to the login page, coming back to this page."""
    same_tab_link(label, auth.login_url(auth.current_path()))


def _account_box(viewer: Viewer) -> None:
    actor = viewer.actor
    if actor is None:
        _unknown_forwarded_login(viewer)
        st.caption("Lecture sans compte : consultation seulement.")
        login_link("Se connecter pour modifier")
        return
    st.caption(f"Connecté : **{md_escape(actor.name)}** · {actor.role_label}")
    st.page_link(ACCOUNT_PAGE[0], label=ACCOUNT_PAGE[1], icon=ACCOUNT_PAGE[2])
    if actor.role in ("admin", "directeur"):
        st.page_link(ADMIN_PAGE[0], label=ADMIN_PAGE[1], icon=ADMIN_PAGE[2])
    if not viewer.single_sign_on:  # behind a single sign-on proxy, the proxy logs people out
        same_tab_link("Se déconnecter", auth.logout_url())


def _sidebar(filters: Filters, plans: list[dict], plan: dict, labels: pd.DataFrame,
             options: dict[str, list[str]], viewer: Viewer) -> None:
    # Widget values are set from the store before the widgets exist, so they follow the URL
    # and page switches; callbacks write user changes back to the store.
    state = st.session_state
    for attr, key in WIDGETS.items():
        value = getattr(filters, attr)
        state[key] = list(value) if isinstance(value, tuple) else value
    names = {p["slug"]: f"{p['organisation']}" for p in plans}
    top = top_priority(plan["priority_scale"])
    with st.sidebar:
        st.markdown("### PST Pilot")
        _account_box(viewer)
        st.divider()
        for path, label, icon in NAVIGATION:
            st.page_link(path, label=label, icon=icon)
        st.page_link(PUBLIC_PAGE[0], label=PUBLIC_PAGE[1], icon=PUBLIC_PAGE[2])
        st.divider()
        st.selectbox("Plan", options=list(names), format_func=names.get, key=WIDGETS["plan"],
                     on_change=_on_plan_change)
        st.caption(" · ".join(md_escape(x) for x in (plan["title"], plan["document"]) if x))
        st.toggle(
            f"Priorité 1 uniquement ({md_escape(top)})" if top else "Priorité 1 uniquement",
            key=WIDGETS["priority1"], on_change=_on_filter_change, disabled=top is None,
            help=None if top else "Ce plan n'a pas d'échelle de priorité.",
        )
        st.toggle("En retard uniquement", key=WIDGETS["late"], on_change=_on_filter_change,
                  help="Échéance dépassée (sans échéance : la fin de la période du plan), taux sous 100 %.")
        st.toggle("Qui dérivent uniquement", key=WIDGETS["drifting"], on_change=_on_filter_change,
                  help="En retard sur leur calendrier (taux sous le seuil du plan rapporté au taux attendu "
                       "aujourd'hui), échéance pas encore dépassée.")
        st.toggle(f"Non mises à jour depuis {plan['stale_after_days']} jours", key=WIDGETS["stale"],
                  on_change=_on_filter_change,
                  help="Les actions en cours dont la dernière modification date de ce nombre de jours ou plus.")
        st.toggle("Synergies Ville–CPAS uniquement", key=WIDGETS["commune"], on_change=_on_filter_change,
                  help="Les actions menées avec la commune, ou partagées avec elle.")
        st.text_input("Recherche (code ou intitulé)", key=WIDGETS["search"],
                      on_change=_on_filter_change, placeholder="ex. 7.3.2 ou logement")
        st.multiselect("Labels", options=labels["name"].tolist(), key=WIDGETS["labels"],
                       on_change=_on_filter_change, placeholder="Tous")
        st.multiselect("Objectifs stratégiques", options=options["os_codes"], key=WIDGETS["os_codes"],
                       on_change=_on_filter_change, placeholder="Tous",
                       format_func=lambda c: f"OS {c}")
        st.multiselect("Statut", options=list(STATUSES) + [NO_STATUS], key=WIDGETS["statuses"],
                       on_change=_on_filter_change, placeholder="Tous")
        st.multiselect("Santé", options=list(HEALTHS) + [NO_HEALTH], key=WIDGETS["healths"],
                       on_change=_on_filter_change, placeholder="Toutes")
        st.multiselect("Services impliqués", options=options["services"], key=WIDGETS["services"],
                       on_change=_on_filter_change, placeholder="Tous")
        st.multiselect("Chef de projet", options=options["leads"], key=WIDGETS["leads"],
                       on_change=_on_filter_change, placeholder="Tous")
        if filters.active:
            st.button("Effacer les filtres", on_click=reset_filters, icon=":material/filter_alt_off:")


def _watched(slug: str | None):
    revisions = data.revisions()
    return revisions if slug is None else revisions.get(slug)


@st.fragment(run_every=dt.timedelta(seconds=LIVE_REFRESH_SECONDS))
def _live_refresh(slug: str | None) -> None:
    """Every few seconds one cached read of the revisions; if the watched plan (or any plan,
    slug None) moved since this page was drawn, rerun the page (its loaders, keyed by
    revision, then read the new data)."""
    if _watched(slug) != st.session_state.get(SEEN_REVISIONS):
        st.rerun(scope="app")


def filter_summary(ctx: PageContext, escape: Callable[[str], str] = str) -> str:
    """One line saying which filters apply, for captions and slides. The values come from
    the data or the URL: ``escape=md_escape`` where the line is shown as Markdown; plain text
    (the default) for the exports."""
    f = ctx.filters

    def values(items) -> str:
        return ", ".join(escape(v) for v in items)

    parts = []
    if f.priority1 and ctx.top_priority:
        parts.append(f"priorité {escape(ctx.top_priority)}")
    if f.labels:
        parts.append("labels : " + values(f.labels))
    if f.os_codes:
        parts.append("OS " + values(f.os_codes))
    if f.statuses:
        parts.append("statut : " + values(f.statuses))
    if f.services:
        parts.append("services : " + values(f.services))
    if f.leads:
        parts.append("chef de projet : " + values(f.leads))
    if f.late:
        parts.append("en retard")
    if f.drifting:
        parts.append("qui dérivent")
    if f.healths:
        parts.append("santé : " + values(f.healths))
    if f.stale:
        parts.append(f"non mises à jour depuis {ctx.plan['stale_after_days']} jours")
    if f.commune:
        parts.append("synergies Ville–CPAS")
    if f.search:
        parts.append(f"recherche « {escape(f.search)} »")
    return "Filtres : " + " · ".join(parts) if parts else "Aucun filtre : toutes les actions du plan."
