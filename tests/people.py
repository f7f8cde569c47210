"""The accounts every test database holds, created in this order (so their ids are the same
in every copy), and the ``Actor`` each test writes as. One password for all of them, hashed
once per process (argon2 is slow on purpose)."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.models import Account, Plan
from pst_data.rules import clock
from pst_data.rules.access import Actor

PASSWORD = "mot-de-passe-des-tests"

# login, name, role, plans (None: every plan)
PEOPLE = (
    ("alice", "Alice", "admin", None),
    ("bob", "Bob", "directeur", None),
    ("claire.martin", "Claire Martin", "directeur", None),
    ("paul.dubois", "Paul Dubois", "directeur", None),
    ("nadia.leroy", "Nadia Leroy", "directeur", None),
    ("marie.dupont", "Marie Dupont", "admin", None),
    ("lea.lecteur", "Léa Lecteur", "lecteur", None),
    ("chris.chef", "Chris Chef", "chef", ("charleroi",)),
    ("dominique.dir", "Dominique Binche", "directeur", ("binche",)),
    ("claire", "Claire", "admin", None),
    ("carla", "Carla", "directeur", None),
    ("anais", "Anaïs", "directeur", None),
    ("directeur", "Directeur", "directeur", None),
    ("hypothesis", "Hypothesis", "directeur", None),
)


def _actor(index: int) -> Actor:
    login, name, role, _plans = PEOPLE[index]
    return Actor(account_id=index + 1, login=login, name=name, role=role)


(ALICE, BOB, CLAIRE_MARTIN, PAUL, NADIA, MARIE, LEA, CHRIS, DOMINIQUE,
 CLAIRE, CARLA, ANAIS, DIRECTEUR, HYPOTHESIS) = (_actor(i) for i in range(len(PEOPLE)))


@lru_cache(maxsize=1)
def password_hash() -> str:
    from pst_data.accounts import HASHER

    return HASHER.hash(PASSWORD)


def add_people(engine: Engine) -> None:
    """Insert the test accounts (a fixture, like the seed: built by code, not through the app)."""
    now = clock.stored_now()
    with Session(engine) as session, session.begin():
        plans = {p.slug: p for p in session.scalars(select(Plan))}
        for index, (login, name, role, slugs) in enumerate(PEOPLE):
            account = Account(id=index + 1, login=login, name=name, role=role, all_plans=slugs is None,
                              password_hash=password_hash(), must_change_password=False, active=True,
                              failed_logins=0, created_at=now, updated_at=now)
            account.plans = [plans[s] for s in slugs or () if s in plans]
            session.add(account)
    if engine.dialect.name == "postgresql":  # explicit ids: move the sequence past them
        with engine.begin() as conn:
            conn.exec_driver_sql("SELECT setval('accounts_id_seq', (SELECT max(id) FROM accounts))")
