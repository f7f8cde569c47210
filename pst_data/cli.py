"""Command line: ``python -m pst_data --help``.

Messages are in French, like the app; errors go to stderr with exit code 2 and write nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import sys

import yaml
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from db.engine import database_url, get_engine
from db.limits import YEAR_MAX, YEAR_MIN
from db.migrate import upgrade
from pst_data import accounts
from pst_data.accounts import active_actor
from pst_data.cli_french import FrenchArgumentParser
from pst_data.exchange.files import read_plan_data
from pst_data.exchange.plan_file import PlanFileError, dump_plan_json, iter_actions, notice_lines, read_plan_path
from pst_data.importer import DatabasePlans, export_plan
from pst_data.rules import clock
from pst_data.rules.formatting import plural
from pst_data.rules.text import refused_character
from pst_data.seed import seed
from pst_data.services import EditError
from pst_data.services import accounts as account_writes
from pst_data.services.imports import import_plan, preview_import
from pst_data.uow import Operator, read_session


def build_parser() -> argparse.ArgumentParser:
    parser = FrenchArgumentParser(  # argparse's own texts in French; its sub-parsers inherit the class
        prog="python -m pst_data",
        description="PST Pilot : importer, exporter et vérifier les plans (PST). "
        "Base de données : variable PST_DATABASE_URL, sinon SQLite dans le dossier data/.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMANDE")

    p_import = sub.add_parser("import", help="importer (ou mettre à jour) un plan : YAML/JSON, classeur Excel "
                                             "(modèle) ou XML eComptes, reconnu par son contenu")
    p_import.add_argument("file", metavar="FICHIER")
    p_import.add_argument("--slug", metavar="SLUG", help="importer sous cet identifiant plutôt que celui du fichier")
    p_import.add_argument("--dry-run", action="store_true",
                          help="montrer ce que l'import changerait (champ par champ), sans rien écrire")
    p_import.add_argument("--confirm-removals", action="store_true",
                          help="accepter que l'import supprime les actions et objectifs absents du fichier")
    _as_account(p_import)

    p_export = sub.add_parser("export", help="exporter un plan sur la sortie standard")
    p_export.add_argument("--plan", required=True, metavar="SLUG", help="ex. charleroi")
    p_export.add_argument("--format", choices=EXPORT_FORMATS, default="json",
                          help="json, yaml ; xlsx : le classeur modèle (à modifier puis réimporter) ; "
                               "xml : eComptes (SPW) ; xlsx-synthese : chiffres et actions ; pptx : Bureau")
    p_export.add_argument("--output", metavar="FICHIER", help="fichier à écrire (obligatoire sauf json et yaml)")
    p_export.add_argument("--exercice", metavar="AAAA", type=int,
                          help="xml : exercice déclaré à eComptes (par défaut : l'année en cours)")
    p_export.add_argument("--depuis", metavar="AAAA-MM-JJ", type=_day,
                          help="pptx : date du dernier Bureau (par défaut : il y a 30 jours)")

    p_template = sub.add_parser("template", help="le classeur Excel modèle, vide, à remplir")
    p_template.add_argument("--output", required=True, metavar="FICHIER", help="ex. modele-pst.xlsx")

    p_report = sub.add_parser("report", help="rapport d'évaluation PDF (mi-parcours ou finale)")
    p_report.add_argument("--plan", required=True, metavar="SLUG")
    p_report.add_argument("--kind", choices=("mi-parcours", "finale"), default="finale")
    p_report.add_argument("--as-of", metavar="AAAA-MM-JJ", type=_day, help="situation à cette date (défaut : aujourd'hui)")
    p_report.add_argument("--output", required=True, metavar="FICHIER")

    p_snap = sub.add_parser("snapshot", help="instantanés : figer, lister, comparer")
    snap = p_snap.add_subparsers(dest="snapshot_command", required=True, metavar="ACTION")
    p_take = snap.add_parser("take", help="figer l'état du plan sous un nom")
    p_take.add_argument("--plan", required=True, metavar="SLUG")
    p_take.add_argument("--name", required=True, metavar="NOM")
    p_take.add_argument("--as-of", metavar="AAAA-MM-JJ", type=_day, help="état à cette date (défaut : aujourd'hui)")
    _as_account(p_take)
    p_list = snap.add_parser("list", help="lister les instantanés d'un plan")
    p_list.add_argument("--plan", required=True, metavar="SLUG")
    p_compare = snap.add_parser("compare", help="comparer aujourd'hui avec un instantané (par OS)")
    p_compare.add_argument("--plan", required=True, metavar="SLUG")
    p_compare.add_argument("--name", required=True, metavar="NOM")

    sub.add_parser("seed", help="charger les cinq plans de démonstration")

    p_status = sub.add_parser("status", help="où en est chaque action par rapport à son calendrier, et la projection")
    p_status.add_argument("--plan", required=True, metavar="SLUG")
    p_status.add_argument("--as-of", metavar="AAAA-MM-JJ", type=_day,
                          help="le plan tel qu'il était ce jour-là, et ce que son calendrier attendait (défaut : aujourd'hui)")
    p_status.add_argument("--json", action="store_true", help="en JSON (pour un script)")

    p_remind = sub.add_parser(
        "remind", help="relance automatique par e-mail avant le prochain Bureau (pour cron ; "
                       "n'envoie jamais deux fois la même relance)")
    p_remind.add_argument("--plan", required=True, metavar="SLUG")
    p_remind.add_argument("--dry-run", action="store_true", help="dire qui serait relancé, sans rien envoyer")
    p_meeting = sub.add_parser("meeting", help="calendrier des Bureaux et Conseils d'un plan")
    meeting = p_meeting.add_subparsers(dest="meeting_command", required=True, metavar="ACTION")
    p_madd = meeting.add_parser("add", help="ajouter une réunion")
    p_madd.add_argument("--plan", required=True, metavar="SLUG")
    p_madd.add_argument("--date", required=True, metavar="JJ/MM/AAAA")
    p_madd.add_argument("--kind", choices=("bureau", "conseil"), default="bureau")
    _as_account(p_madd)
    p_mlist = meeting.add_parser("list", help="lister les réunions")
    p_mlist.add_argument("--plan", required=True, metavar="SLUG")
    p_check = sub.add_parser("check", help="vérifier un fichier de plan sans rien écrire")
    p_check.add_argument("file", metavar="FICHIER")
    sub.add_parser("migrate", help="mettre le schéma de la base à jour (Alembic) ; crée le premier compte admin")

    p_user = sub.add_parser("user", help="comptes : ajouter, lister, modifier, désactiver, réinitialiser")
    user = p_user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    p_add = user.add_parser("add", help="créer un compte")
    p_add.add_argument("login", metavar="IDENTIFIANT")
    p_add.add_argument("--role", required=True, choices=ROLE_CHOICES, help="lecteur, chef (de projet), directeur, admin")
    p_add.add_argument("--plan", action="append", metavar="SLUG", dest="plans",
                       help="plan accessible (répétable) ; sans --plan : tous les plans")
    p_add.add_argument("--name", metavar="\"Prénom Nom\"", help="nom affiché et inscrit dans l'historique")
    p_add.add_argument("--email", metavar="ADRESSE")
    p_add.add_argument("--password-stdin", action="store_true",
                       help="lire le mot de passe sur l'entrée standard (sinon : généré et affiché une fois)")
    user.add_parser("list", help="lister les comptes")
    p_set = user.add_parser("set", help="changer le rôle, les plans, le nom ou l'e-mail d'un compte")
    p_set.add_argument("login", metavar="IDENTIFIANT")
    p_set.add_argument("--role", choices=ROLE_CHOICES)
    p_set.add_argument("--plan", action="append", metavar="SLUG", dest="plans")
    p_set.add_argument("--all-plans", action="store_true", help="tous les plans")
    p_set.add_argument("--name", metavar="\"Prénom Nom\"")
    p_set.add_argument("--email", metavar="ADRESSE")
    for name, text in (("disable", "désactiver un compte (ses sessions se ferment)"), ("enable", "réactiver un compte"),
                       ("reset-password", "nouveau mot de passe généré, à changer à la connexion suivante")):
        user.add_parser(name, help=text).add_argument("login", metavar="IDENTIFIANT")

    p_setting = sub.add_parser("setting", help="réglages : lecture sans compte")
    p_setting.add_argument("key", choices=("anonymous_read",), metavar="RÉGLAGE",
                           help="anonymous_read : lire les plans sans compte (on / off)")
    p_setting.add_argument("value", choices=("on", "off"), nargs="?", metavar="on|off")
    return parser


EXPORT_FORMATS = ("json", "yaml", "xlsx", "xml", "xlsx-synthese", "pptx")
ROLE_CHOICES = ("lecteur", "chef", "directeur", "admin")


def _as_account(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as", dest="as_login", metavar="IDENTIFIANT",
                        help="compte au nom duquel écrire (son rôle s'applique) ; sans --as : "
                             "« ligne de commande (utilisateur système) » dans l'historique")


def _actor(engine, login: str | None):
    """The account named by --as (its role applies), or the command line's operator."""
    if not login:
        return Operator(f"ligne de commande ({getpass.getuser()})")
    actor = active_actor(engine, login)
    if actor is None:
        raise EditError([f"Aucun compte actif « {login} »."])
    return actor


def _day(text: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"date illisible « {text[:40]} » (format attendu : AAAA-MM-JJ)") from None
    if not YEAR_MIN <= day.year <= YEAR_MAX:
        raise argparse.ArgumentTypeError(f"date hors limites « {text[:40]} » (années {YEAR_MIN} à {YEAR_MAX})")
    return day


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    unreadable = next((a for a in argv if refused_character(a)), None)
    if unreadable is not None:
        # A byte that is not UTF-8 (a Latin-1 « é » from an old terminal) arrives as a lone
        # surrogate, which nothing can store or even print.
        shown = unreadable.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in shown)
        print(f"L'argument « {shown} » contient un octet qui n'est pas de l'UTF-8 ou un caractère de contrôle : "
              "le terminal doit écrire en UTF-8. Rien n'a été fait.", file=sys.stderr)
        return 2
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except PlanFileError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except (EditError, UnknownPlan, ValueError) as exc:
        messages = exc.errors if isinstance(exc, EditError) else [str(exc)]
        print("\n".join(messages), file=sys.stderr)
        return 2
    except OperationalError:
        if os.environ.get("PST_DEBUG"):
            raise
        shown = make_url(database_url()).render_as_string(hide_password=True)
        print(f"La base de données est injoignable ou illisible ({shown}) : vérifiez PST_DATABASE_URL "
              "et que le serveur tourne. Rien n'a été enregistré.", file=sys.stderr)
        return 1
    except Exception as exc:  # no traceback for the person at the terminal; PST_DEBUG=1 shows it
        if os.environ.get("PST_DEBUG"):
            raise
        print(f"Erreur inattendue ({type(exc).__name__}) : rien n'a été enregistré par cette commande. "
              "Relancez avec PST_DEBUG=1 pour le détail technique.", file=sys.stderr)
        return 1


class UnknownPlan(LookupError):
    def __str__(self) -> str:
        return f"Plan « {self.args[0]} » inconnu."


def _plan(session, slug: str) -> dict:
    from pst_data import queries

    plan = queries.find_plan(session, slug=slug)
    if plan is None:
        raise UnknownPlan(slug)
    return plan


def _write(path: str, content: bytes, what: str) -> int:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise EditError([f"Dossier introuvable « {folder[-120:]} » : créez-le, ou choisissez un autre --output. "
                         "Rien n'a été écrit."])
    try:
        with open(path, "wb") as handle:
            handle.write(content)
    except OSError as exc:
        raise EditError([f"Impossible d'écrire « {path[-120:]} » ({exc.strerror or type(exc).__name__}) : "
                         "rien n'a été écrit."]) from None
    print(f"{what} écrit : {path}")
    return 0


def _engine():
    engine = get_engine(database_url())
    upgrade(engine)
    return engine


def cmd_import(args) -> int:
    data = read_plan_path(args.file)
    engine = _engine()
    notices: list[str] = []
    plan = read_plan_data(data, args.file, slug=args.slug, known=DatabasePlans(engine),
                          notices=notices)  # validated before any write
    actor = _actor(engine, args.as_login)
    preview = preview_import(engine, plan, actor)  # the same import, rolled back
    for line in notice_lines(notices):  # before anything is written, like the page's preview
        print(line)
    if args.dry_run:
        print(preview.text())
        print("Aperçu seulement (--dry-run) : rien n'a été écrit.")
        return 0
    if preview.removals and not args.confirm_removals:  # removals are never silent
        lines = [f"  {line.element} « {line.old or ''} »" for line in preview.removals]
        print("\n".join([f"Cet import supprimerait {plural(len(lines), 'élément')} "
                         f"absent{'s' if len(lines) > 1 else ''} du fichier :", *lines,
                         "Rien n'a été écrit. Relancez avec --confirm-removals pour les supprimer "
                         "(ou --dry-run pour voir tout ce qui changerait)."]), file=sys.stderr)
        return 2
    report = import_plan(engine, plan, actor)
    print(report.summary())
    return 0


def cmd_export(args) -> int:
    if args.format not in ("json", "yaml") and not args.output:
        extension = args.format.split("-")[0]
        print(f"Indiquez le fichier à écrire : --output plan.{extension}", file=sys.stderr)
        return 2
    if args.format == "xlsx-synthese":
        return _export_xlsx(args)
    if args.format == "pptx":
        return _export_pptx(args)
    with read_session(_engine()) as session:
        try:
            plan = export_plan(session, args.plan)
        except LookupError:
            print(f"Plan « {args.plan} » inconnu.", file=sys.stderr)
            return 2
    if args.format == "xlsx":
        from pst_data.exchange.workbook import plan_workbook

        return _write(args.output, plan_workbook(plan), "Classeur")
    if args.format == "xml":
        from pst_data.exchange.ecomptes import EcomptesExportError, write_ecomptes

        try:
            content = write_ecomptes(plan, exercice=args.exercice or clock.today().year)
        except EcomptesExportError as exc:
            print(str(exc), file=sys.stderr)
            return 2
        return _write(args.output, content, "Fichier eComptes")
    if args.format == "json":
        print(dump_plan_json(plan))
    else:
        print(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False, width=100), end="")
    return 0


def _export_xlsx(args) -> int:
    from pst_data import queries
    from pst_data.exports.excel import plan_workbook

    with read_session(_engine()) as session:
        plan = _plan(session, args.plan)
        content = plan_workbook(session, plan, queries.actions_frame(session, plan))
    return _write(args.output, content, "Classeur")


def _export_pptx(args) -> int:
    from pst_data import queries
    from pst_data.exports.deck import plan_deck

    today = clock.today()
    with read_session(_engine()) as session:
        plan = _plan(session, args.plan)
        content = plan_deck(session, plan, queries.actions_frame(session, plan, today),
                            args.depuis or today - dt.timedelta(days=30), today, "tous les projets")
    return _write(args.output, content, "Présentation")


def cmd_report(args) -> int:
    from pst_data.exports.report import evaluation_report

    today = clock.today()
    with read_session(_engine()) as session:
        content = evaluation_report(session, _plan(session, args.plan), args.kind, args.as_of or today, today)
    return _write(args.output, content, "Rapport d'évaluation")


def cmd_snapshot(args) -> int:
    from pst_data import queries, snapshots
    from pst_data.rules.formatting import fmt_date, fmt_percent
    from pst_data.services.snapshots import take_snapshot
    from pst_data.aggregates import fmt_points

    engine = _engine()
    today = clock.today()
    with read_session(engine) as session:
        plan = _plan(session, args.plan)
        listed = snapshots.list_snapshots(session, plan["id"])
    if args.snapshot_command == "take":
        take_snapshot(engine, plan["id"], args.name, _actor(engine, args.as_login), today, args.as_of)
        print(f"Instantané « {' '.join(args.name.split())} » enregistré.")
    elif args.snapshot_command == "list":
        if listed.empty:
            print("Aucun instantané pour ce plan.")
        for row in listed.itertuples():
            print(f"{row.name} · état au {fmt_date(row.as_of)} · {row.actions} actions · par {row.taken_by}")
    else:
        found = listed[listed["name"] == " ".join(args.name.split())]
        if found.empty:
            print(f"Aucun instantané « {args.name} » pour ce plan.", file=sys.stderr)
            return 2
        with read_session(engine) as session:
            then = snapshots.snapshot_actions(session, int(found["id"].iloc[0]))
            now = queries.actions_frame(session, plan, today)
        per_os, _ = snapshots.compare(then, now, plan["evaluation_bands"])
        print(f"OS\tTaux au {fmt_date(found['as_of'].iloc[0])}\tTaux aujourd'hui\tÉcart")
        for row in per_os.itertuples():
            print(f"{row.os_code}\t{fmt_percent(row.mean_then)}\t{fmt_percent(row.mean_now)}\t{fmt_points(row.difference)}")
    return 0


def cmd_status(args) -> int:
    import json

    from pst_data import queries
    from pst_data.as_of import plan_as_of
    from pst_data.rules.timeline import trajectories
    from pst_data.aggregates import status_report, status_text

    today = clock.today()
    as_of = args.as_of or today
    if as_of > today:
        raise EditError([f"--as-of {as_of.isoformat()} : une date à venir ne peut pas être lue dans l'historique "
                         f"(au plus aujourd'hui, {today.isoformat()})."])
    with read_session(_engine()) as session:
        plan = _plan(session, args.plan)
        actions = queries.actions_frame(session, plan, as_of)
        events = queries.progress_events(session, plan["id"])
        if as_of < today:
            actions = plan_as_of(session, plan, actions, as_of).actions
            events = events[events["changed_at"] < clock.day_end_utc(as_of)]
    report = status_report(plan, actions, trajectories(events, actions, plan, as_of), as_of)
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else status_text(report))
    return 0


def cmd_seed(args) -> int:
    engine = _engine()
    for report in seed(engine):
        print(report.summary())
    account_writes.set_setting(engine, Operator("démonstration"), "anonymous_read", True)
    print("Démonstration : lecture sans compte activée (python -m pst_data setting anonymous_read off).")
    return 0


def cmd_remind(args) -> int:
    from pst_data.services.reminders import send_reminders

    engine = _engine()
    with read_session(engine) as session:
        plan = _plan(session, args.plan)
    outcome = send_reminders(engine, Operator(f"relance automatique ({getpass.getuser()})"), plan["id"],
                             automatic=True, dry_run=args.dry_run)
    print("\n".join(outcome.lines()))
    return 1 if outcome.failed else 0


def cmd_meeting(args) -> int:
    from pst_data.meetings import list_meetings, meeting_name
    from pst_data.services.meetings import add_meeting

    engine = _engine()
    with read_session(engine) as session:
        plan = _plan(session, args.plan)
        meetings = list_meetings(session, plan["id"])
    if args.meeting_command == "add":
        meeting_id = add_meeting(engine, _actor(engine, args.as_login), plan["id"], args.kind, args.date)
        with read_session(engine) as session:
            added = next(m for m in list_meetings(session, plan["id"]) if m["id"] == meeting_id)
        print(f"Ajouté au calendrier : {meeting_name(added['kind'], added['held_on'])}.")
        return 0
    if not meetings:
        print("Aucune réunion au calendrier de ce plan.")
    for m in meetings:
        print(meeting_name(m["kind"], m["held_on"]) + (f" · {m['note']}" if m["note"] else ""))
    return 0


def cmd_template(args) -> int:
    from pst_data.exchange.workbook import template_workbook

    return _write(args.output, template_workbook(), "Modèle")


def cmd_check(args) -> int:
    notices: list[str] = []
    plan = read_plan_data(read_plan_path(args.file), args.file, notices=notices)
    counts = {"os": len(plan["strategic_objectives"])}
    counts["oo"] = sum(len(o["operational_objectives"]) for o in plan["strategic_objectives"])
    counts["actions"] = sum(1 for _ in iter_actions(plan))
    print(
        f"Fichier valide : plan « {plan['slug']} », {counts['os']} OS, {counts['oo']} OO, "
        f"{counts['actions']} actions."
    )
    for line in notice_lines(notices):
        print(line)
    return 0


def cmd_migrate(args) -> int:
    engine = _engine()
    print("Schéma à jour.")
    tell_first_admin(account_writes.ensure_first_admin(engine))
    return 0


def tell_first_admin(created: tuple[str, str] | None) -> None:
    """Once, in the terminal, at the first start: how to log in."""
    if created:
        login, password = created
        print(f"Premier démarrage : compte administrateur créé. Identifiant : {login} · mot de passe : "
              f"{password} (à changer à la première connexion ; il ne sera plus affiché).", flush=True)


def cmd_user(args) -> int:
    engine = _engine()
    operator = Operator(f"ligne de commande ({getpass.getuser()})")
    command = args.user_command
    if command == "list":
        with read_session(engine) as session:
            rows = accounts.list_accounts(session)
        if not rows:
            print("Aucun compte.")
        for a in rows:
            state = "désactivé" if not a.active else ("bloqué" if a.locked else "actif")
            print(f"{a.login}\t{a.name}\t{a.role_label}\t{a.plans_text}\t{state}"
                  + ("\tmot de passe à changer" if a.must_change_password and a.active else ""))
        return 0
    if command == "add":
        password = None
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        info, generated = account_writes.create_account(engine, operator, args.login, args.role, name=args.name,
                                                  email=args.email, plans=args.plans, password=password)
        print(f"Compte « {info.login} » créé : {info.role_label}, {info.plans_text}.")
        if generated:
            print(f"Mot de passe (affiché une seule fois, à changer à la première connexion) : {generated}")
        return 0
    if command == "set":
        plans = None if args.all_plans else (args.plans if args.plans else "keep")
        info = account_writes.update_account(engine, operator, args.login, role=args.role, plans=plans,
                                       name=args.name, email=args.email if args.email is not None else "keep")
        print(f"Compte « {info.login} » : {info.role_label}, {info.plans_text}.")
        return 0
    if command in ("disable", "enable"):
        info = account_writes.set_active(engine, operator, args.login, command == "enable")
        print(f"Compte « {info.login} » {'réactivé' if info.active else 'désactivé (ses sessions sont fermées)'}.")
        return 0
    password = account_writes.reset_password(engine, operator, args.login)
    print(f"Nouveau mot de passe de « {accounts.normalise_login(args.login)} » (affiché une seule fois, "
          f"à changer à la connexion suivante) : {password}")
    return 0


def cmd_setting(args) -> int:
    engine = _engine()
    if args.value is None:
        with read_session(engine) as session:
            print("on" if accounts.setting(session, args.key) else "off")
        return 0
    account_writes.set_setting(engine, Operator(f"ligne de commande ({getpass.getuser()})"), args.key, args.value == "on")
    print(f"{args.key} = {args.value}")
    return 0


COMMANDS = {
    "import": cmd_import,
    "remind": cmd_remind,
    "meeting": cmd_meeting,
    "export": cmd_export,
    "seed": cmd_seed,
    "status": cmd_status,
    "check": cmd_check,
    "template": cmd_template,
    "migrate": cmd_migrate,
    "report": cmd_report,
    "snapshot": cmd_snapshot,
    "user": cmd_user,
    "setting": cmd_setting,
}
