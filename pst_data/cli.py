"""Command line: ``python -m pst_data --help``.

Messages are in French, like the app; errors go to stderr with exit code 2 and write nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys

import yaml
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from db.engine import database_url, get_engine
from db.migrate import upgrade
from pst_data import clock
from pst_data.importer import export_plan, import_plan
from pst_data.plan_file import PlanFileError, dump_plan_json, iter_actions, load_plan_file
from pst_data.seed import seed
from pst_data.services import EditError
from pst_data.uow import read_session


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pst_data",
        description="PST Pilot : importer, exporter et vérifier les plans (PST). "
        "Base de données : variable PST_DATABASE_URL, sinon SQLite dans le dossier data/.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMANDE")

    p_import = sub.add_parser("import", help="importer (ou mettre à jour) un fichier de plan YAML/JSON")
    p_import.add_argument("file", metavar="FICHIER")
    p_import.add_argument("--author", default="import", help="nom inscrit dans l'historique")

    p_export = sub.add_parser("export", help="exporter un plan sur la sortie standard")
    p_export.add_argument("--plan", required=True, metavar="SLUG", help="ex. charleroi")
    p_export.add_argument("--format", choices=("json", "yaml", "xlsx", "pptx"), default="json")
    p_export.add_argument("--output", metavar="FICHIER", help="fichier à écrire (obligatoire pour xlsx et pptx)")
    p_export.add_argument("--depuis", metavar="AAAA-MM-JJ", type=_day,
                          help="pptx : date du dernier Bureau (par défaut : il y a 30 jours)")

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
    p_take.add_argument("--author", default="ligne de commande", help="nom inscrit avec l'instantané")
    p_list = snap.add_parser("list", help="lister les instantanés d'un plan")
    p_list.add_argument("--plan", required=True, metavar="SLUG")
    p_compare = snap.add_parser("compare", help="comparer aujourd'hui avec un instantané (par OS)")
    p_compare.add_argument("--plan", required=True, metavar="SLUG")
    p_compare.add_argument("--name", required=True, metavar="NOM")

    sub.add_parser("seed", help="charger les cinq plans de démonstration")
    p_check = sub.add_parser("check", help="vérifier un fichier de plan sans rien écrire")
    p_check.add_argument("file", metavar="FICHIER")
    sub.add_parser("migrate", help="mettre le schéma de la base à jour (Alembic)")
    return parser


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"date illisible « {text} » (format attendu : AAAA-MM-JJ)") from None


def main(argv: list[str] | None = None) -> int:
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
    with open(path, "wb") as handle:
        handle.write(content)
    print(f"{what} écrit : {path}")
    return 0


def _engine():
    engine = get_engine(database_url())
    upgrade(engine)
    return engine


def cmd_import(args) -> int:
    plan = load_plan_file(args.file)  # validate before touching the database
    report = import_plan(_engine(), plan, author=args.author)
    print(report.summary())
    return 0


def cmd_export(args) -> int:
    if args.format in ("xlsx", "pptx") and not args.output:
        print(f"Indiquez le fichier à écrire : --output plan.{args.format}", file=sys.stderr)
        return 2
    if args.format == "xlsx":
        return _export_xlsx(args)
    if args.format == "pptx":
        return _export_pptx(args)
    with read_session(_engine()) as session:
        try:
            plan = export_plan(session, args.plan)
        except LookupError:
            print(f"Plan « {args.plan} » inconnu.", file=sys.stderr)
            return 2
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
    from pst_data.formatting import fmt_date, fmt_percent
    from pst_data.views import fmt_points

    engine = _engine()
    today = clock.today()
    with read_session(engine) as session:
        plan = _plan(session, args.plan)
        listed = snapshots.list_snapshots(session, plan["id"])
    if args.snapshot_command == "take":
        snapshots.take_snapshot(engine, plan["id"], args.name, args.author, today, args.as_of)
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


def cmd_seed(args) -> int:
    for report in seed(_engine()):
        print(report.summary())
    return 0


def cmd_check(args) -> int:
    plan = load_plan_file(args.file)
    counts = {"os": len(plan["strategic_objectives"])}
    counts["oo"] = sum(len(o["operational_objectives"]) for o in plan["strategic_objectives"])
    counts["actions"] = sum(1 for _ in iter_actions(plan))
    print(
        f"Fichier valide : plan « {plan['slug']} », {counts['os']} OS, {counts['oo']} OO, "
        f"{counts['actions']} actions."
    )
    return 0


def cmd_migrate(args) -> int:
    _engine()
    print("Schéma à jour.")
    return 0


COMMANDS = {
    "import": cmd_import,
    "export": cmd_export,
    "seed": cmd_seed,
    "check": cmd_check,
    "migrate": cmd_migrate,
    "report": cmd_report,
    "snapshot": cmd_snapshot,
}
