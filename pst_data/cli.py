"""Command line: ``python -m pst_data --help``.

Messages are in French, like the app; errors go to stderr with exit code 2 and write nothing.
"""

from __future__ import annotations

import argparse
import sys

import yaml

from db.engine import database_url, get_engine
from db.migrate import upgrade
from pst_data.importer import export_plan, import_plan
from pst_data.plan_file import PlanFileError, dump_plan_json, iter_actions, load_plan_file
from pst_data.seed import seed
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
    p_export.add_argument("--format", choices=("json", "yaml", "xlsx"), default="json")
    p_export.add_argument("--output", metavar="FICHIER", help="fichier à écrire (obligatoire pour xlsx)")

    sub.add_parser("seed", help="charger les cinq plans de démonstration")
    p_check = sub.add_parser("check", help="vérifier un fichier de plan sans rien écrire")
    p_check.add_argument("file", metavar="FICHIER")
    sub.add_parser("migrate", help="mettre le schéma de la base à jour (Alembic)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except PlanFileError as exc:
        print(str(exc), file=sys.stderr)
        return 2


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
    if args.format == "xlsx":
        return _export_xlsx(args)
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

    if not args.output:
        print("Indiquez le fichier à écrire : --output plan.xlsx", file=sys.stderr)
        return 2
    with read_session(_engine()) as session:
        plan = next((p for p in queries.list_plans(session) if p["slug"] == args.plan), None)
        if plan is None:
            print(f"Plan « {args.plan} » inconnu.", file=sys.stderr)
            return 2
        content = plan_workbook(session, plan, queries.actions_frame(session, plan))
    with open(args.output, "wb") as handle:
        handle.write(content)
    print(f"Classeur écrit : {args.output}")
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
}
