"""A plan that runs (tests/fixtures/running_plan.yaml, « CPAS de Florival », 2025-2030) put in a
database the way a CPAS lives it: imported on 5 January 2026 with its first taux, updated by its
chefs de projet in February, April and June, a Bureau on 16 June and one on 14 July; Chris Chef
is linked to « MARTIN Paul ». On ``NOW`` (1 July 2026, halfway through the 2026 actions) its
actions are on time (1.1.1, 2.1.1), far behind (1.1.2), behind (1.2.1), past their échéance
(1.1.3), done (1.2.2) and abandoned (2.1.2)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pst_data import accounts, queries, services
from pst_data.exchange.plan_file import load_plan_file
from pst_data.importer import import_plan
from pst_data.meetings import add_meeting
from pst_data.rules import clock
from pst_data.uow import Operator
from tests.people import BOB, CHRIS

PLAN_FILE = Path(__file__).resolve().parent / "fixtures" / "running_plan.yaml"
SLUG = "florival"
NOW = dt.datetime(2026, 7, 1, 10, 0)
IMPORTED = dt.datetime(2026, 1, 5, 9, 0)
FIRST_TAUX = {"1.1.1": 0, "1.1.2": 5, "1.1.3": 40, "1.2.1": 5, "2.1.1": 20}
UPDATES = (  # (when, {code: taux}) by the chefs de projet
    (dt.datetime(2026, 2, 10, 9), {"1.1.1": 10, "1.2.1": 15, "2.1.1": 25}),
    (dt.datetime(2026, 4, 10, 9), {"1.1.1": 30, "1.2.1": 30, "1.1.2": 20, "1.1.3": 70}),
    (dt.datetime(2026, 6, 10, 9), {"1.1.1": 50, "1.2.1": 44, "2.1.1": 30}),
)


def first_version() -> dict:
    """The plan file as imported in January: the same plan with its first taux."""
    data = load_plan_file(PLAN_FILE)
    for os_ in data["strategic_objectives"]:
        for oo in os_["operational_objectives"]:
            for action in oo["actions"]:
                action["progress"] = FIRST_TAUX.get(action["code"], action["progress"])
    return data


def add_running_plan(engine: Engine) -> dict:
    """Import the plan and live its first half-year (see the module's docstring); the plan."""
    with clock.frozen(IMPORTED):
        import_plan(engine, first_version(), Operator("import du PST"))
    for moment, taux in UPDATES:
        with clock.frozen(moment):
            frame = actions_by_code(engine)
            for code, value in taux.items():
                services.update_action(engine, int(frame.loc[code, "id"]), int(frame.loc[code, "version"]),
                                       {"progress": value}, BOB)
    with clock.frozen(dt.datetime(2026, 6, 1, 9)):
        plan = plan_of(engine)
        add_meeting(engine, BOB, plan["id"], "bureau", dt.date(2026, 6, 16))
        add_meeting(engine, BOB, plan["id"], "bureau", dt.date(2026, 7, 14))
        accounts.update_account(engine, Operator("tests"), CHRIS.login, plans=[SLUG])
        accounts.link_lead(engine, BOB, plan["id"], "MARTIN Paul", CHRIS.account_id)
    return plan_of(engine)


def plan_of(engine: Engine) -> dict:
    with Session(engine) as s:
        return queries.find_plan(s, slug=SLUG)


def actions_by_code(engine: Engine, today: dt.date | None = None):
    with Session(engine) as s:
        return queries.actions_frame(s, plan_of(engine), today).set_index("code")
