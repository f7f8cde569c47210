"""Administration: links for the Bureau's screen and importing or exporting a plan (directeur of
the plan), and for the admin: accounts, reading without an account, the public page."""

from urllib.parse import quote, urlsplit

import pandas as pd
import streamlit as st

from db.limits import ROLES
from pst_data import accounts
from pst_data.exchange.ecomptes import write_ecomptes
from pst_data.exchange.workbook import plan_workbook, template_workbook
from pst_data.importer import export_plan
from pst_data.rules import clock
from pst_data.rules.access import ROLE_LABELS
from pst_data.rules.formatting import fmt_datetime
from pst_data.rules.text import md_escape
from pst_data.services import EditError
from pst_data.services import accounts as account_writes
from pst_data.uow import read_session
from ui import auth, data
from ui.editing import edit_messages, flash, say, show_errors
from ui.importing import FROM_FILE, import_box
from ui.frame import page_frame
from ui.components import download_button, show_table

SECRET_KEY = "pst_shown_once"  # a generated password or a new link, shown on the next run only
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMS_KEY = "pst_admin_forms"  # a refused form keeps what was typed; a saved one starts empty

ctx = page_frame("Administration", icon="🛡️", live=False)
plan, actor = ctx.plan, ctx.actor
st.title("Administration")
edit_messages()
if actor is None or actor.role not in ("admin", "directeur"):
    st.info("Cette page est réservée aux directeurs et aux administrateurs.", icon=":material/lock:")
    st.stop()


def run(write, success: str, secret: tuple[str, str] | None = None, place: str | None = None) -> None:
    """An account or access change: its French refusal, or success (and what to show once).
    With ``place``, the success and the secret are shown there (``shown_once(place)``), where
    the person is looking, not at the top of the page."""
    try:
        shown = write()
    except EditError as exc:
        show_errors(exc.errors, fields=exc.fields)
        return
    auth.forget_cached_identity()
    data.invalidate()
    if place:
        st.session_state[SECRET_KEY] = (place, success, secret[0] if secret else None,
                                        secret[1].format(shown) if secret else None)
    else:
        flash("success", success)
    st.session_state[FORMS_KEY] = st.session_state.get(FORMS_KEY, 0) + 1  # empty forms after a success
    st.rerun()


ONCE = st.session_state.pop(SECRET_KEY, None)


def shown_once(place: str) -> None:
    """The last change made here: its success, and the password or link shown this once."""
    if ONCE and ONCE[0] == place:
        _place, success, label, secret = ONCE
        say("success", success)
        if secret:
            st.info(label, icon=":material/key:")
            st.code(secret, language=None)


def site_origin() -> str:
    try:
        parts = urlsplit(st.context.url or "")
        return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    except Exception:
        return ""


# -- Bureau screen ------------------------------------------------------------------------
st.header("Écran du Bureau permanent")
st.caption(f"{md_escape(plan['organisation'])} · un lien ouvre la Présentation de ce plan en mode projecteur, sans connexion et sans "
           "aucune commande de modification. Révoquez-le quand l'écran change de mains.")
if not ctx.directs:
    st.caption("Seul un directeur de ce plan (ou un administrateur) gère ses liens.")
else:
    with read_session(data.engine()) as session:
        links = accounts.list_bureau_links(session, plan["id"])
    if links:
        show_table(pd.DataFrame({
            "Lien": [link["label"] for link in links],
            "Créé le": [fmt_datetime(link["created_at"]) for link in links],
            "Par": [link["created_by"] for link in links],
            "Dernière utilisation": [fmt_datetime(link["last_used_at"]) for link in links],
            "État": ["révoqué le " + fmt_datetime(link["revoked_at"]) if link["revoked_at"] else "actif" for link in links],
        }), hide_index=True, width="stretch")
    with st.form(f"bureau_link_form_{st.session_state.get(FORMS_KEY, 0)}"):
        label = st.text_input("Nom du lien", max_chars=accounts.LINK_LABEL_MAX, placeholder="ex. Écran de la salle du Bureau")
        if st.form_submit_button("Créer un lien", type="primary"):
            origin = site_origin()
            run(lambda: account_writes.create_bureau_link(data.engine(), actor, plan["id"], label),
                "Lien créé : copiez-le maintenant, il ne sera plus affiché.",
                ("Adresse à ouvrir sur l'écran du Bureau (affichée une seule fois) :",
                 f"{origin}/Pr%C3%A9sentation?plan={quote(plan['slug'])}&projecteur=1&bureau={{}}"), place="link")
    shown_once("link")
    active = {link["id"]: link["label"] for link in links if not link["revoked_at"]}
    if active:
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        revoked = c1.selectbox("Lien à révoquer", list(active), format_func=active.get, key="revoke_link")
        if c2.button("Révoquer", key="revoke_button"):
            run(lambda: account_writes.revoke_bureau_link(data.engine(), actor, revoked), "Lien révoqué : il n'ouvre plus rien.")

# -- importing and exporting a plan --------------------------------------------------------
st.header("Importer ou exporter un plan")
st.caption("Le classeur Excel (modèle) s'ouvre dans Excel ou LibreOffice, se modifie et se réimporte : seul ce qui "
           "a été modifié change. Le XML eComptes est le format du SPW (plateforme eComptes).")
current_slug, engine = plan["slug"], data.engine()


def plan_file(build):
    """The plan as exported now, handed to ``build`` when the button is clicked (not before)."""
    def content():
        with read_session(engine) as session:
            return build(export_plan(session, current_slug))
    return content


c1, c2, c3 = st.columns(3)
download_button(c1, "Modèle Excel vide", template_workbook, "modele-pst.xlsx", XLSX_MIME,
                icon=":material/grid_on:", width="stretch")
download_button(c2, "Ce plan en Excel", plan_file(plan_workbook), f"{current_slug}.xlsx", XLSX_MIME,
                icon=":material/download:", width="stretch")
if plan.get("ins_code"):
    download_button(c3, "Ce plan en XML eComptes",
                    plan_file(lambda p: write_ecomptes(p, exercice=clock.today().year)),
                    f"{current_slug}-ecomptes.xml", "application/xml", icon=":material/download:", width="stretch")
else:
    c3.caption("XML eComptes : le code INS du CPAS manque. Indiquez-le dans la feuille « Plan » du classeur "
               "Excel de ce plan, puis réimportez-le.")

# Where a file goes: an admin may create a plan; a directeur updates the plans they direct.
targets = {p["slug"]: f"{p['organisation']} · {p['title']}" for p in ctx.plans
           if actor.is_admin or (actor.role == "directeur" and actor.directs(p["id"]))}
if actor.is_admin:
    targets = {FROM_FILE: "Celui que nomme le fichier (nouveau plan ou mise à jour)", **targets}
if targets:
    import_box(actor, targets, index=list(targets).index(current_slug)
               if not actor.is_admin and current_slug in targets else 0)
else:
    st.caption("Un directeur importe un fichier dans les plans qu'il dirige ; votre compte n'en dirige aucun.")

if not actor.is_admin:
    st.stop()

# -- accounts -----------------------------------------------------------------------------
st.header("Comptes")
with read_session(data.engine()) as session:
    people = accounts.list_accounts(session)
slugs = {p["slug"]: p["organisation"] for p in ctx.plans}
show_table(pd.DataFrame({
    "Identifiant": [a.login for a in people],
    "Nom": [a.name for a in people],
    "Rôle": [a.role_label for a in people],
    "Plans": [a.plans_text for a in people],
    "État": ["désactivé" if not a.active else "bloqué" if a.locked else
             "mot de passe à changer" if a.must_change_password else "actif" for a in people],
    "Dernière connexion": [fmt_datetime(a.last_login_at) for a in people],
}), hide_index=True, width="stretch")

# Keyed: after a save the person is still on the tab they were on.
create_tab, change_tab = st.tabs(["Nouveau compte", "Modifier un compte"], key="account_tabs", on_change="rerun")
with create_tab:
    with st.form(f"account_create_{st.session_state.get(FORMS_KEY, 0)}"):
        c1, c2 = st.columns(2)
        login = c1.text_input("Identifiant", max_chars=64, placeholder="ex. marie.dupont")
        name = c2.text_input("Nom", max_chars=120, placeholder="ex. Marie Dupont")
        c1, c2 = st.columns(2)
        email = c1.text_input("E-mail (facultatif)", max_chars=254)
        role = c2.selectbox("Rôle", ROLES, format_func=ROLE_LABELS.get, index=0)
        chosen = st.multiselect("Plans", list(slugs), format_func=slugs.get, placeholder="Tous les plans",
                                help="Vide : tous les plans (un CPAS n'en a souvent qu'un).")
        if st.form_submit_button("Créer le compte", type="primary"):
            run(lambda: account_writes.create_account(data.engine(), actor, login, role, name=name, email=email,
                                                plans=chosen or None)[1],
                f"Compte « {accounts.normalise_login(login)} » créé.",
                ("Mot de passe provisoire (affiché une seule fois ; la personne le change à sa première connexion) :", "{}"),
                place="create")
    shown_once("create")
with change_tab:
    by_login = {a.login: a for a in people}
    picked = st.selectbox("Compte", list(by_login), format_func=lambda x: f"{by_login[x].name} ({x})", key="account_pick")
    if picked:
        current = by_login[picked]
        with st.form(f"account_edit_{picked}"):
            c1, c2 = st.columns(2)
            new_name = c1.text_input("Nom", value=current.name, max_chars=120)
            new_email = c2.text_input("E-mail", value=current.email or "", max_chars=254)
            c1, c2 = st.columns(2)
            new_role = c1.selectbox("Rôle", ROLES, index=ROLES.index(current.role), format_func=ROLE_LABELS.get)
            new_plans = c2.multiselect("Plans", list(slugs), default=[s for s in current.plans if s in slugs],
                                       format_func=slugs.get, placeholder="Tous les plans")
            if st.form_submit_button("Enregistrer le compte", type="primary"):
                run(lambda: account_writes.update_account(data.engine(), actor, picked, role=new_role, plans=new_plans or None,
                                                    name=new_name, email=new_email),
                    f"Compte « {picked} » enregistré.", place="change")
        c1, c2 = st.columns(2)
        if c1.button("Réinitialiser le mot de passe", key="reset_password"):
            run(lambda: account_writes.reset_password(data.engine(), actor, picked),
                f"Mot de passe de « {picked} » réinitialisé : ses sessions sont fermées.",
                ("Nouveau mot de passe provisoire (affiché une seule fois) :", "{}"), place="change")
        if current.active:
            if c2.button("Désactiver le compte", key="disable_account"):
                run(lambda: account_writes.set_active(data.engine(), actor, picked, False),
                    f"Compte « {picked} » désactivé : ses sessions sont fermées.", place="change")
        elif c2.button("Réactiver le compte", key="enable_account"):
            run(lambda: account_writes.set_active(data.engine(), actor, picked, True), f"Compte « {picked} » réactivé.",
                place="change")
        shown_once("change")

# -- settings -----------------------------------------------------------------------------
st.header("Réglages")
with read_session(data.engine()) as session:
    anonymous = bool(accounts.setting(session, "anonymous_read"))
    events = accounts.recent_events(session)
with st.form("settings_form"):
    read_open = st.toggle("Lecture sans compte", value=anonymous,
                          help="Toute personne qui atteint PST Pilot lit tous les plans, sans rien pouvoir modifier "
                               "(la démonstration). Désactivé : il faut un compte pour lire.")
    if st.form_submit_button("Enregistrer les réglages", type="primary"):
        run(lambda: account_writes.set_setting(data.engine(), actor, "anonymous_read", bool(read_open)), "Réglages enregistrés.")

st.header("Page publique (article 27ter)")
st.caption("Le PST doit être publié en ligne. La page publique montre les objectifs, les actions, leur taux et leur "
           "statut, et les graphiques ; jamais l'historique. Les noms des chefs de projet n'y figurent que si vous le choisissez.")
for p in ctx.plans:
    with st.form(f"publish_{p['id']}"):
        st.markdown(f"**{md_escape(p['organisation'])}** · {md_escape(p['title'])}")
        c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
        published = c1.toggle("Publié", value=p["published"])
        names = c2.toggle("Avec les noms des chefs de projet", value=p["published_names"])
        if c3.form_submit_button("Enregistrer la publication"):
            run(lambda p=p, published=published, names=names: account_writes.publish_plan(
                data.engine(), actor, p["id"], bool(published), bool(names)),
                f"Page publique : {p['organisation']} {'publié' if published else 'non publié'}.")

st.header("Journal des comptes et des accès")
if events:
    show_table(pd.DataFrame({
        "Quand": [fmt_datetime(e["at"]) for e in events],
        "Par": [e["by"] for e in events],
        "Quoi": [accounts.EVENT_LABELS.get(e["event"], e["event"]) for e in events],
        "Qui / quoi": [e["subject"] for e in events],
        "Détail": [e["detail"] or "" for e in events],
    }), hide_index=True, width="stretch")
