"""Mon compte: who I am for PST Pilot, and changing my password."""

import streamlit as st

from pst_data import accounts
from pst_data.rules.text import md_escape
from pst_data.services import EditError
from pst_data.services import accounts as account_writes
from ui import auth, data
from ui.editing import edit_messages, flash, show_errors
from ui.frame import login_link, page_frame

ctx = page_frame("Mon compte", icon="👤", live=False)
st.title("Mon compte")
edit_messages()
actor = ctx.actor
if actor is None:
    st.info("Vous consultez sans compte.")
    login_link()
    st.stop()

plans = "tous les plans" if actor.plan_ids is None else ", ".join(
    md_escape(p["organisation"]) for p in ctx.plans if actor.sees(p["id"])) or "aucun plan"
st.markdown(f"**{md_escape(actor.name)}** · identifiant `{md_escape(actor.login)}` · {actor.role_label} · {plans}")
st.caption({
    "lecteur": "Vous consultez les plans de votre CPAS.",
    "chef": "Vous mettez à jour le taux, le statut, la santé et le commentaire des actions dont vous êtes chef de projet (page « Mes actions »).",
    "directeur": "Vous modifiez tout dans les plans que vous dirigez : fiches, structure, labels des actions, "
                 "instantanés, liens pour l'écran du Bureau.",
    "admin": "Vous gérez les comptes, les plans, les labels, les imports et les réglages.",
}[actor.role])

if ctx.viewer.single_sign_on:
    st.info("Vous êtes connecté par le portail de votre CPAS : votre mot de passe se change là-bas.")
    st.stop()

if actor.must_change_password:
    st.warning("Choisissez votre propre mot de passe : celui que vous avez reçu ne permet pas de modifier les plans.",
               icon=":material/key:")

st.subheader("Changer mon mot de passe")
st.caption(f"Au moins {accounts.PASSWORD_MIN} caractères ; une phrase facile à retenir convient très bien. "
           "Vos autres sessions (autres navigateurs) seront fermées.")
with st.form("password_form", clear_on_submit=True):
    current = st.text_input("Mot de passe actuel", type="password", max_chars=accounts.PASSWORD_MAX,
                            autocomplete="current-password")
    new = st.text_input("Nouveau mot de passe", type="password", max_chars=accounts.PASSWORD_MAX,
                        autocomplete="new-password")
    again = st.text_input("Nouveau mot de passe (encore)", type="password", max_chars=accounts.PASSWORD_MAX,
                          autocomplete="new-password")
    submitted = st.form_submit_button("Changer le mot de passe", type="primary")
if submitted:
    try:
        account_writes.change_password(data.engine(), actor, current, new, again, keep_token=auth.request_token())
    except EditError as exc:
        show_errors(exc.errors)
    else:
        auth.forget_cached_identity()
        flash("success", "Mot de passe changé.")
        st.rerun()
