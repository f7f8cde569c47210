"""The shape the code keeps: the rules are plain Python (no database, no Streamlit), and every
write goes through the one unit of work."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.pages_support import ROOT

RULES = ("progress", "plan_file", "plan_yaml", "dates", "clock", "fields", "errors", "filters", "timeline",
         "views", "text", "formatting")


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
