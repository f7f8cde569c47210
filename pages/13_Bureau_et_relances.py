"""Bureau et relances: the plan's Bureau calendar, who is behind since the last Bureau, and the
reminders by e-mail (« Relancer »)."""

import datetime as dt

import pandas as pd
import streamlit as st

from db.limits import REMINDER_DAYS_MAX, REMINDER_TEXT_MAX, STALE_DAYS_MAX
from pst_data import meetings as calendar_service
from pst_data import reminders
from pst_data.rules.errors import EditError
from pst_data.rules.follow_up import DEFAULT_REMINDER, MEETING_LABELS, PLACEHOLDERS, calendar, reference, reminder_message
from pst_data.rules.formatting import fmt_date, plural
from pst_data.rules.text import md_escape
from pst_data.services import meetings as calendar_writes
from pst_data.services import reminders as reminder_writes
from pst_data.uow import read_session
from ui import data
from ui.components import show_table
from ui.editing import edit_messages, flash, run_write, say, show_errors
from ui.frame import page_frame

ctx = page_frame("Bureau et relances", icon="📅", live=False)  # forms being typed must not redraw
plan = ctx.plan
st.title("Bureau et relances")
st.caption(md_escape(f"{plan['organisation']} · les dates des Bureaux fixent « depuis le dernier Bureau » "
                     "dans tout PST Pilot, et le moment de la relance automatique."))
edit_messages()
directs = ctx.directs

meetings = data.meetings(plan["id"], ctx.revision)
cal = calendar(meetings, ctx.today)
ref = reference(cal, ctx.today, plan["stale_after_days"])
c1, c2, c3 = st.columns(3)
c1.metric("Dernier Bureau", fmt_date(cal.last_bureau) if cal.last_bureau else "—")
c2.metric("Prochain Bureau", fmt_date(cal.next_bureau) if cal.next_bureau else "—")
c3.metric("Non mise à jour après", f"{plan['stale_after_days']} jours")

st.subheader("Calendrier")
if meetings:
    show_table(pd.DataFrame({
        "Date": [fmt_date(m["held_on"]) for m in meetings],
        "Réunion": [MEETING_LABELS[m["kind"]] for m in meetings],
        "Note": [m["note"] for m in meetings],
        "Quand": ["passé" if m["held_on"] < ctx.today else "à venir" for m in meetings],
    }), hide_index=True, width="stretch")
else:
    st.info("Aucune réunion au calendrier : ajoutez les dates des Bureaux pour que « depuis le dernier Bureau » "
            f"s'en serve (en attendant, PST Pilot compte sur les {plan['stale_after_days']} derniers jours).")
if directs:
    with st.form("meeting_add", clear_on_submit=True):
        a, b, c = st.columns([1, 1, 2], vertical_alignment="bottom")
        day = a.date_input("Date", value=None, format="DD/MM/YYYY", min_value=dt.date(2000, 1, 1),
                           max_value=dt.date(2100, 12, 31))
        kind = b.selectbox("Réunion", ["bureau", "conseil"], format_func=lambda k: MEETING_LABELS[k])
        note = c.text_input("Note (facultative)", max_chars=200)
        if st.form_submit_button("Ajouter au calendrier", type="primary"):
            if day is None:
                show_errors(["Choisissez la date de la réunion."])
            else:
                run_write(lambda: calendar_writes.add_meeting(data.engine(), ctx.actor, plan["id"], kind, day, note),
                          f"{calendar_service.meeting_name(kind, day)} ajouté au calendrier.")
    if meetings:
        with st.popover("Retirer une réunion"):
            names = {m["id"]: calendar_service.meeting_name(m["kind"], m["held_on"]) for m in meetings}
            chosen = st.selectbox("Réunion", list(names), format_func=names.get, key="meeting_remove")
            if st.button("Retirer du calendrier", key="meeting_remove_confirm"):
                run_write(lambda: calendar_writes.delete_meeting(data.engine(), ctx.actor, chosen),
                          f"{names[chosen]} retiré du calendrier.")

st.subheader("Qui est à jour ?")
with read_session(data.engine()) as session:
    state = reminders.situation(session, plan["id"], ctx.today)
    sent = reminders.reminder_history(session, plan["id"])
late_accounts, people = state.late, state.people
names = {i: people[i].name if i in people else f"compte n° {i}" for i in late_accounts}
st.caption(md_escape(f"Actions en cours non modifiées {ref.text}, par chef de projet relié à un compte."))
if not late_accounts and state.unlinked.empty:
    say("success", f"Toutes les actions en cours ont été mises à jour {ref.text}.")
else:
    if late_accounts:
        late_table = pd.DataFrame([
            {"Chef de projet": names[i],
             "Adresse e-mail": (people[i].email if i in people else None) or "— (aucune : pas de relance possible)",
             "Actions à mettre à jour": len(group), "Codes": ", ".join(group["code"].astype(str))}
            for i, group in late_accounts.items()])
        # Addresses are the directeur's business (as on the Administration page), not every reader's.
        show_table(late_table if directs else late_table.drop(columns=["Adresse e-mail"]), hide_index=True,
                   width="stretch")
    if not state.unlinked.empty:
        single = len(state.unlinked) == 1
        st.caption(md_escape(f"{plural(len(state.unlinked), 'action')} à mettre à jour {'a' if single else 'ont'} un chef "
                             "de projet sans compte relié (Mise à jour → « Chefs de projet ») : "
                             + ("elle ne peut pas être relancée" if single else "elles ne peuvent pas être relancées")
                             + " par e-mail."))
saved_text = state.reminder_text or DEFAULT_REMINDER

if directs:
    st.subheader("Relancer par e-mail")
    try:
        settings = reminders.smtp_settings()
        smtp_problem = None if settings else ("Aucun serveur d'e-mail n'est configuré (variable PST_SMTP_HOST) : "
                                              "demandez-le au service informatique.")
    except EditError as exc:
        settings, smtp_problem = None, " ".join(exc.errors)
    if smtp_problem:
        say("warning", smtp_problem)
    else:
        st.caption(md_escape(f"Serveur d'e-mail : {settings.describe()}."))
    if names:
        text = st.text_area(
            "Message de cette relance (modifiable)", value=saved_text, height=260, max_chars=REMINDER_TEXT_MAX,
            key="reminder_text_box",
            help="Champs remplacés pour chaque personne : " + ", ".join("{" + p + "}" for p in PLACEHOLDERS) + ".")
        who = st.selectbox("Aperçu et relance pour", list(names), format_func=names.get, key="reminder_person")
        subject, body = reminder_message(text, name=names[who], next_bureau=cal.next_bureau,
                                         plan=plan["organisation"], rows=late_accounts[who].to_dict("records"),
                                         stale_after_days=plan["stale_after_days"], signature=ctx.actor.name)
        with st.expander("Aperçu du message", expanded=True):
            st.text(f"Objet : {subject}\n\n{body}")
        b1, b2 = st.columns(2)
        one = b1.button("Relancer cette personne", type="primary", disabled=settings is None, key="remind_one")
        everyone = b2.button("Relancer la personne en retard" if len(names) == 1 else
                             f"Relancer les {len(names)} personnes en retard", disabled=settings is None,
                             key="remind_all")
        if one or everyone:
            try:
                outcome = reminder_writes.send_reminders(data.engine(), ctx.actor, plan["id"], automatic=False,
                                                   account_ids=[who] if one else None, text=text, settings=settings,
                                                   today=ctx.today)
            except EditError as exc:
                show_errors(exc.errors, head="Rien n'a été envoyé :")
            else:
                if outcome.sent:
                    flash("success", "\n".join(f"Relance envoyée : {s}" for s in outcome.sent))
                for line in outcome.skipped + outcome.failed:
                    flash("warning", line)
                st.rerun()
    else:
        st.caption("Personne à relancer pour l'instant.")

    st.subheader("Réglages du suivi")
    with st.form("follow_up_settings"):
        a, b = st.columns(2)
        stale = a.text_input("Non mise à jour après (jours)", value=str(plan["stale_after_days"]), max_chars=6,
                             help=f"Une action en cours sans modification depuis ce nombre de jours est signalée "
                                  f"« non mise à jour » (1 à {STALE_DAYS_MAX}).")
        before = b.text_input("Relance automatique (jours avant le Bureau)", value=str(plan["reminder_days_before"]),
                              max_chars=6, help=f"0 à {REMINDER_DAYS_MAX}. La commande de relance (cron) n'envoie "
                                                "rien avant ce délai, et une seule fois par Bureau et par personne.")
        c, d = st.columns(2)
        on_track = c.text_input("Dans les temps à partir de (% du taux attendu)", value=str(plan["schedule_on_track"]),
                                max_chars=3, help="Une action dont le taux atteint ce pourcentage du taux que ses dates "
                                                  "attendent aujourd'hui est « dans les temps » (95 par défaut).")
        behind = d.text_input("Très en retard sous (% du taux attendu)", value=str(plan["schedule_behind"]),
                              max_chars=3, help="Sous ce pourcentage, « très en retard » ; entre les deux, « en retard "
                                                "sur le calendrier » (85 par défaut). Un écart de 5 points au plus "
                                                "reste « dans les temps ».")
        kept = st.text_area("Texte de la relance (automatique, et proposé pour « Relancer »)", value=saved_text,
                            height=260, max_chars=REMINDER_TEXT_MAX,
                            help="Champs : " + ", ".join("{" + p + "}" for p in PLACEHOLDERS) + ".")
        if st.form_submit_button("Enregistrer les réglages", type="primary"):
            run_write(lambda: calendar_writes.save_follow_up_settings(
                data.engine(), ctx.actor, plan["id"], stale_after_days=stale, reminder_days_before=before,
                reminder_text=None if kept.strip() == DEFAULT_REMINDER.strip() else kept,
                schedule_on_track=on_track, schedule_behind=behind),
                "Réglages du suivi enregistrés.")
    days = plural(plan["reminder_days_before"], "jour")
    st.caption(md_escape(f"Relance automatique, quand le service informatique l'a programmée : elle part aux personnes "
                         f"en retard de mise à jour, {days} avant le prochain Bureau, une seule fois."))
    if ctx.actor is not None and ctx.actor.is_admin:  # the IT person's business, not a directeur's
        st.caption(md_escape(f"Pour le service informatique : « python -m pst_data remind --plan {plan['slug']} » "
                             "chaque jour (cron) ; voir docs/DEPLOYMENT.md."))

st.subheader("Relances envoyées")
if sent.empty:
    st.caption("Aucune relance envoyée pour ce plan.")
else:
    show_table(sent if directs else sent.drop(columns=["Adresse"]), hide_index=True, width="stretch")
