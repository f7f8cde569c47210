"""The shape the code keeps: the rules are plain Python (no database, no Streamlit), and every
write goes through the one unit of work."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.pages_support import ROOT

RULES = ("rules.progress", "rules.schedule", "exchange.plan_file", "exchange.plan_yaml", "rules.dates", "rules.clock",
         "rules.fields", "rules.errors", "rules.filters", "rules.timeline", "views", "rules.text", "rules.formatting",
         "rules.access", "rules.follow_up", "rules.charts", "rules.consistency", "rules.indicators",
         "exchange.workbook", "exchange.files", "exchange.ecomptes")


def test_the_rules_import_neither_sqlalchemy_nor_streamlit():
    code = ("import sys\n" + "".join(f"import pst_data.{m}\n" for m in RULES)
            + "print(sorted(m for m in ('sqlalchemy', 'streamlit') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


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
