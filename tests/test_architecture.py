"""The shape the code keeps: the rules are plain Python (no database, no Streamlit), and every
write goes through the one unit of work."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from tests.pages_support import ROOT

FORBIDDEN = ("sqlalchemy", "streamlit")


def modules_in(folder: str) -> list[str]:
    return sorted(f"pst_data.{folder}.{path.stem}" for path in (ROOT / "pst_data" / folder).glob("*.py")
                  if path.stem != "__init__")


RULES = modules_in("rules")
# Plain too, though not rules: the file formats (plan files in) and the pages' frames.
FILE_FORMATS = modules_in("exchange")
PLAIN = [*RULES, *FILE_FORMATS, "pst_data.aggregates"]


def loaded_forbidden(modules: list[str]) -> dict[str, list[str]]:
    """For each module (imported in this order in a fresh interpreter), the forbidden packages
    that were loaded first by it, directly or through another module."""
    code = ("import importlib, json, sys\nfound = {}\n"
            f"for name in {modules!r}:\n"
            "    importlib.import_module(name)\n"
            f"    new = [m for m in {FORBIDDEN!r} if m in sys.modules and not any(m in v for v in found.values())]\n"
            "    if new:\n        found[name] = new\n"
            "print(json.dumps(found))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_the_rules_folder_is_not_empty():
    """A moved or renamed folder must not leave the check above with nothing to import."""
    assert RULES


def test_the_rules_and_the_file_formats_import_neither_sqlalchemy_nor_streamlit():
    """Every module of ``pst_data/rules/`` and ``pst_data/exchange/`` (and ``views``) loads
    neither the database layer nor Streamlit, not even through another module: a rule is tested
    fast, without a database or a server."""
    assert loaded_forbidden(PLAIN) == {}


def test_the_check_sees_a_module_that_loads_sqlalchemy():
    assert loaded_forbidden(["pst_data.rules.text", "pst_data.uow"]) == {"pst_data.uow": ["sqlalchemy"]}


def test_no_commit_and_no_history_row_outside_the_unit_of_work():
    offenders = []
    for path in [*ROOT.glob("pst_data/**/*.py"), *ROOT.glob("ui/*.py"), *ROOT.glob("pages/*.py"), ROOT / "dashboard.py"]:
        text = path.read_text(encoding="utf-8")
        relative = path.relative_to(ROOT).as_posix()
        if relative == "pst_data/uow.py":
            continue
        if re.search(r"\.commit\(\)|session\.begin\(|History\(", text):
            offenders.append(relative)
    assert offenders == []


def test_every_write_use_case_lives_in_pst_data_services():
    """A newcomer looks for a write in one place: ``pst_data/services/<subject>.py``. No other
    module opens a unit of work (``pst_data/uow.py`` defines it); the read modules keep reads
    and pure helpers."""
    offenders = []
    for path in [*ROOT.glob("pst_data/**/*.py"), *ROOT.glob("ui/**/*.py"), *ROOT.glob("pages/**/*.py"),
                 ROOT / "dashboard.py"]:
        relative = path.relative_to(ROOT).as_posix()
        if relative == "pst_data/uow.py" or relative.startswith("pst_data/services/"):
            continue
        if re.search(r"\bwith\s+write\(", path.read_text(encoding="utf-8")):
            offenders.append(relative)
    assert offenders == []


def test_pages_never_make_an_identity_of_their_own():
    """Pages and ui/ get the account from ui/auth.py (cookie or proxy header, checked in the
    database): none builds an Actor, none writes as the command line's Operator (which skips
    the roles), none keeps an identity in st.session_state."""
    offenders = []
    for path in [*ROOT.glob("ui/*.py"), *ROOT.glob("pages/*.py"), ROOT / "dashboard.py"]:
        text = path.read_text(encoding="utf-8")
        if re.search(r"\bActor\(|\bOperator\(", text) or \
                re.search(r"session_state\[[^]]*(actor|account|login|author|user)", text, re.I):
            offenders.append(path.relative_to(ROOT).as_posix())
    assert offenders == []


def test_every_download_goes_through_the_one_helper():
    """ui.components.download_button sets on_click="ignore": a download whose click reruns the
    page can lose its deferred file before it is built (« Deferred file … not found »)."""
    offenders = [path.relative_to(ROOT).as_posix()
                 for path in [*ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py"), ROOT / "dashboard.py"]
                 if re.search(r"\.download_button\(", path.read_text(encoding="utf-8"))
                 and path.name != "components.py"]
    assert offenders == []


def test_the_moved_writes_still_answer_by_their_old_names_and_nothing_else_does():
    import pytest

    from pst_data import accounts, meetings, services

    assert accounts.link_lead is services.accounts.link_lead
    assert meetings.add_meeting is services.meetings.add_meeting
    with pytest.raises(AttributeError, match="module 'pst_data.meetings' has no attribute 'nope'"):
        meetings.nope  # noqa: B018
