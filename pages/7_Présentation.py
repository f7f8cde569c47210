"""Présentation: the PST shown to the Bureau permanent, one slide at a time.

``?projecteur=1`` is the projector mode: the slide alone, full screen, turned with the arrow keys
(or a presenter's remote: Page suivante / précédente). One link sets up the room's laptop:
``/Présentation?plan=SLUG&slide=1&projecteur=1``."""

import datetime as dt
from urllib.parse import urlencode

import streamlit as st

from pst_data.rules.text import md_escape
from ui import data
from ui.components import chosen_reading, download_button
from ui.frame import filter_summary, page_frame
from ui.slides import PROJECTOR_CSS, SLIDE_CSS, slide_html

ctx = page_frame("Présentation", icon="📽️", extra_params=("slide", "depuis", "projecteur"))
plan = ctx.plan
projector = st.query_params.get("projecteur") == "1"

# « Depuis le dernier Bureau »: from the day after the calendar's last Bureau (what was changed on
# its day was shown at it; the same rule as the overview's « à jour »), else a month back.
last_bureau = data.bureau_calendar(plan["id"], ctx.revision, ctx.today).last_bureau
default_since = last_bureau + dt.timedelta(days=1) if last_bureau else ctx.today - dt.timedelta(days=30)
try:
    since = dt.date.fromisoformat(st.query_params.get("depuis", "")) if st.query_params.get("depuis") else default_since
except ValueError:
    st.warning("Date « depuis » illisible dans l'adresse : "
               + ("la date du dernier Bureau est utilisée." if last_bureau else "le dernier mois est utilisé."))
    since = default_since
# Colours: the calendar while the plan runs, its legend after; or what the person chose elsewhere.
reading = chosen_reading(plan, ctx.today)
deck = data.slides(plan, ctx.revision, ctx.filters, ctx.actions, since, ctx.today, filter_summary(ctx),
                   last_bureau if since == default_since else None, reading)

requested = st.query_params.get("slide", "1")
index = min(max(int(requested) if requested.isdigit() else 1, 1), len(deck)) - 1
slide = deck[index]


def go_to(number: int) -> None:
    st.query_params["slide"] = str(number)


with st.container(key="slide_controls"):
    nav = st.columns([2, 3, 2, 2, 2, 2], vertical_alignment="bottom")
    nav[0].button("◀ Précédent", disabled=index == 0, shortcut="left", key="prev_slide",
                  on_click=go_to, args=(index,))
    nav[1].caption(f"Diapositive {index + 1} / {len(deck)} · flèches ← → du clavier")
    nav[2].button("Suivant ▶", disabled=index == len(deck) - 1, shortcut="right", key="next_slide",
                  on_click=go_to, args=(index + 2,))
    # A presenter's remote sends Page suivante / Page précédente.
    st.button("Page précédente", disabled=index == 0, shortcut="pageup", key="prev_slide_remote",
              on_click=go_to, args=(index,), type="tertiary")
    st.button("Page suivante", disabled=index == len(deck) - 1, shortcut="pagedown", key="next_slide_remote",
              on_click=go_to, args=(index + 2,), type="tertiary")
    picked = nav[3].date_input("Changements depuis le", value=since, format="DD/MM/YYYY", key="since_bureau")
    if picked != since:
        st.query_params["depuis"] = picked.isoformat()
        st.rerun()
    params = {k: v for k, v in st.query_params.to_dict().items() if k != "projecteur"}
    nav[4].link_button("Mode projecteur", f"?{urlencode({**params, 'projecteur': '1'})}",
                       icon=":material/slideshow:", width="stretch",
                       help="La diapositive seule, en plein écran (touche F11 du navigateur), "
                            "tournée avec les flèches du clavier ou une télécommande de présentation.")
    download_button(
        nav[5], "PowerPoint",
        lambda: data.deck(plan, ctx.revision, ctx.filters, since, ctx.today, filter_summary(ctx),
                          last_bureau if since == default_since else None, reading),
        f"bureau-{plan['slug']}-{ctx.today:%Y-%m-%d}.pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation", icon=":material/download:",
        help="Ces diapositives (filtres compris) en présentation PowerPoint modifiable, graphiques inclus.")

leave = "?" + urlencode({k: v for k, v in st.query_params.to_dict().items() if k != "projecteur"}) if projector else None
# The style travels with the slide (one element): never a slide drawn without it.
st.html(f"<style>{SLIDE_CSS}{PROJECTOR_CSS if projector else ''}</style>"
        + slide_html(slide, index + 1, len(deck), counter_href=leave))
if not projector:
    st.caption(md_escape("Pour la salle du Bureau : « Mode projecteur » ouvre cette diapositive seule ; "
                         "F11 met le navigateur en plein écran."))
