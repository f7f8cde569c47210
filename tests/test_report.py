"""The PDF evaluation report, read back with pypdf: what a Bureau member reads is what the
database holds (today or as of a past day)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session

from pst_data import queries, services
from pst_data.exports.report import evaluation_report
from pst_data.rules.formatting import fmt_percent
from pst_data.rules.progress import weighted_mean
from tests.test_services import action
from tests.test_snapshots import TODAY, binche_history
from tests.people import ANAIS

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


# What only the PDF's writing decides (fonts, line breaking, placeholders): the database behind
# it does not change it, so SQLite alone (the reads are tested on both by the tests around).
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _plan(session, slug):
    return next(p for p in queries.list_plans(session) if p["slug"] == slug)


def _pages(content: bytes) -> list[str]:
    # Figures use a no-break space before "%": compare on plain spaces.
    return [re.sub(r"[\u00a0\u202f]", " ", page.extract_text()) for page in PdfReader(io.BytesIO(content)).pages]


def _report(engine, slug, kind="finale", as_of=TODAY, **kwargs) -> list[str]:
    with Session(engine) as s:
        return _pages(evaluation_report(s, _plan(s, slug), kind, as_of, TODAY, **kwargs))


def _fiche(pages: list[str], code: str) -> str:
    """The text of one fiche, over as many pages as it takes."""
    start = next(i for i, p in enumerate(pages) if re.search(rf"^{re.escape(code)} → ", p, re.M))
    end = next((i for i in range(start + 1, len(pages))
                if "FICHE ACTION" in pages[i] or "En quelques chiffres" in pages[i]), len(pages))
    return "\n".join(pages[start:end])


def _plain(text: str) -> str:
    return text.replace("\u00a0", " ")


def test_report_has_cover_figures_each_os_mean_and_every_action(seeded_engine, plan_files):
    pages = _report(seeded_engine, "binche")
    assert "Évaluation finale" in pages[0] and "CPAS de Binche" in pages[0]
    assert "Situation au 23/11/2026" in pages[0] and "27ter" in pages[0]
    figures = next(p for p in pages if "Évaluation — en quelques chiffres" in p and "Sommaire" not in p)
    assert "58,9 %" in figures and "Réalisé (entre 80–100 %) : 17 actions" in figures
    # Cover, sommaire, then the figures: no page left empty (only its footer) anywhere.
    assert pages[2].startswith("Évaluation — en quelques chiffres")
    assert all(len(p.strip().splitlines()) > 1 for p in pages)
    whole = "\n".join(pages)
    for os_ in plan_files["binche"]["strategic_objectives"]:
        rates = [a["progress"] for oo in os_["operational_objectives"] for a in oo["actions"]]
        page = next(p for p in pages if f"OS {os_['code']} ·" in p and "En quelques chiffres" in p)
        assert _plain(fmt_percent(sum(rates) / len(rates))) in page, os_["code"]
        for oo in os_["operational_objectives"]:
            for a in oo["actions"]:
                fiche = _fiche(pages, a["code"])
                assert "FICHE ACTION" in fiche and f"{a['progress']} % ·" in fiche, a["code"]
    assert whole.count("FICHE ACTION") == 47


def test_charleroi_report_lists_all_97_projects_and_the_priority(seeded_engine, plan_files):
    pages = _report(seeded_engine, "charleroi", kind="mi-parcours")
    assert "Évaluation à mi-parcours" in pages[0]
    codes = [a["code"] for os_ in plan_files["charleroi"]["strategic_objectives"]
             for oo in os_["operational_objectives"] for a in oo["actions"]]
    fiche_codes = [m.group(1) for p in pages for m in re.finditer(r"^(\S+) → ", p, re.M)]
    assert fiche_codes == codes
    assert sum("Niveau 1" in p for p in pages if "FICHE ACTION" in p) == 42


def test_report_as_of_a_past_day_shows_the_taux_and_comments_of_that_day(seeded_engine, plan_files):
    first_id, gone = binche_history(seeded_engine)
    pages = _report(seeded_engine, "binche", as_of=dt.date(2023, 12, 31))
    assert "Situation au 31/12/2023" in pages[0]
    fiche = _fiche(pages, "1.1.1.1.1")
    assert "85 % ·" in fiche and "Marché attribué" in fiche and "Claire Martin" in fiche
    assert not re.search(r"^9\.9 → ", "\n".join(pages), re.M)  # created in 2024
    figures = next(p for p in pages if "Évaluation — en quelques chiffres" in p and "Sommaire" not in p)
    assert f"Supprimée depuis cette date, absente du rapport : {gone.code}" in figures
    rates = {a["code"]: a["progress"] for os_ in plan_files["binche"]["strategic_objectives"]
             for oo in os_["operational_objectives"] for a in oo["actions"]}
    rates["1.1.1.1.1"] = 85
    del rates[gone.code]
    assert _plain(fmt_percent(weighted_mean(rates.values()))) in figures
    today = _report(seeded_engine, "binche")
    assert "100 % ·" in _fiche(today, "1.1.1.1.1")


@SQLITE_ONLY
def test_french_characters_and_euros_render(seeded_engine):
    a = action(seeded_engine, "ecaussinnes", "1.1.1")
    services.update_action(seeded_engine, a.id, a.version,
                           {"budget": 12345.5, "comment": "L’équipe a reçu l’accord — été 2025"}, ANAIS)
    pages = _report(seeded_engine, "ecaussinnes")
    fiche = _fiche(pages, "1.1.1")
    assert "12 345,5 €" in fiche
    assert "L’équipe a reçu l’accord — été 2025" in fiche


@SQLITE_ONLY
def test_what_was_typed_is_what_the_fiche_prints(seeded_engine):
    """« {nb} » is fpdf2's page-count placeholder: typed in a fiche it stays « {nb} »; a list of
    partners longer than a page flows over pages, every name printed; a value ending with a
    new line or holding a page break prints its text."""
    a = action(seeded_engine, "ecaussinnes", "1.1.1")
    partners = [f"Partenaire n° {n:03d} de l'action" for n in range(1, 401)]
    services.update_action(seeded_engine, a.id, a.version,
                           {"description": "Le modèle {nb} du formulaire est repris dans l'annexe.",
                            "partners": partners, "budget_text": "Voir annexe\n"}, ANAIS)
    fiche = _fiche(_report(seeded_engine, "ecaussinnes"), "1.1.1")
    assert "Le modèle {nb} du formulaire est repris dans l'annexe." in fiche
    flat = " ".join(fiche.split())
    assert all(name in flat for name in partners)
    assert "Voir annexe" in fiche


def test_bad_report_requests_are_refused_in_french(seeded_engine):
    with Session(seeded_engine) as s, pytest.raises(ValueError, match="Type d'évaluation inconnu"):
        evaluation_report(s, _plan(s, "binche"), "annuelle", TODAY, TODAY)
    with Session(seeded_engine) as s, pytest.raises(ValueError, match="est dans le futur"):
        evaluation_report(s, _plan(s, "binche"), "finale", TODAY + dt.timedelta(days=1), TODAY)


def test_budget_and_staff_add_up_per_plan_os_and_oo_in_the_report(seeded_engine, plan_files):
    from pst_data.exchange.plan_file import iter_actions
    from pst_data.rules.formatting import fmt_euro

    actions = [a for _os, _oo, a in iter_actions(plan_files["binche"])]
    budgets = [a["budget"] for a in actions if a["budget"] is not None]
    assert budgets, "Binche's fiches give budgets"
    pages = _report(seeded_engine, "binche")
    figures = next(p for p in pages if "Évaluation — en quelques chiffres" in p and "Sommaire" not in p)
    expected = fmt_euro(sum(budgets)).replace("\u202f", " ").replace("\u00a0", " ")
    missing = len(actions) - len(budgets)
    assert f"Budget des fiches : {expected} ({missing} action{'s' if missing > 1 else ''} sur {len(actions)} sans budget)" in \
        " ".join(figures.split())
    assert any("Budget et personnel par objectif opérationnel" in p for p in pages)


# -- the report's speed-ups change nothing of what is written ----------------------------------

@SQLITE_ONLY
def test_the_running_line_width_writes_the_same_report(seeded_engine):
    """fpdf2 with and without pst_data.exports.line_width: the same bytes (Charleroi, 97 fiches)."""
    from pst_data.exports import line_width

    assert line_width.install(), "requirements.txt pins the fpdf2 version line_width follows"
    with Session(seeded_engine) as session:
        plan = _plan(session, "charleroi")
        faster = evaluation_report(session, plan, "finale", TODAY, TODAY)
        line_width.uninstall()
        try:
            as_fpdf2_writes = evaluation_report(session, plan, "finale", TODAY, TODAY)
        finally:
            line_width.install()
    assert faster == as_fpdf2_writes


@pytest.mark.parametrize("text", [
    "Une ligne courte.",
    "Des mots " * 60,  # wrapped at spaces
    "Anticonstitutionnellement" * 12,  # no space: broken inside the word
    "Insé\u00adcu\u00adri\u00adté ali\u00admen\u00adtaire " * 20,  # soft hyphens
    "Budget\u00a0: 1\u00a0234,5\u00a0€ — " * 15,  # non-breaking spaces
    "Première ligne\nDeuxième ligne   \n\n" + "espaces en fin de ligne      " * 8,
    "Le modèle {nb} du formulaire est repris dans l'annexe ; " * 3,  # fpdf2's page-count placeholder
], ids=["short", "words", "one-long-word", "soft-hyphens", "non-breaking-spaces", "newlines-and-trailing-spaces",
        "page-count-placeholder"])
@pytest.mark.parametrize("spacing", [0, 0.8])
def test_the_running_line_width_breaks_lines_where_fpdf2_does(text, spacing):
    from fpdf import FPDF

    from pst_data.exports import line_width
    from pst_data.exports.report import FONTS

    def write() -> bytes:
        pdf = FPDF()
        pdf.set_creation_date(dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
        pdf.add_font("DejaVu", "", FONTS / "DejaVuSans.ttf")
        pdf.add_page()
        pdf.set_font("DejaVu", size=10)
        pdf.set_char_spacing(spacing)
        for align in ("L", "J"):
            for wrapmode in ("WORD", "CHAR"):
                pdf.multi_cell(70, 5, text, align=align, wrapmode=wrapmode, new_x="LMARGIN", new_y="NEXT")
        return bytes(pdf.output())

    faster = write()
    line_width.uninstall()
    try:
        as_fpdf2_writes = write()
    finally:
        line_width.install()
    assert faster == as_fpdf2_writes


@SQLITE_ONLY
def test_each_report_is_a_document_of_its_own(seeded_engine):
    """Nothing of one report stays in the process for the next (fonts, line breaking): two
    reports in a row are the same bytes, and one plan's report carries nothing of another's."""
    with Session(seeded_engine) as session:
        charleroi, binche = _plan(session, "charleroi"), _plan(session, "binche")
        first = evaluation_report(session, charleroi, "finale", TODAY, TODAY)
        evaluation_report(session, binche, "finale", TODAY, TODAY)
        assert evaluation_report(session, charleroi, "finale", TODAY, TODAY) == first
    text = "\n".join(_pages(first))
    assert "Charleroi" in text and "Binche" not in text
