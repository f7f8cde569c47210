"""User text is shown as text: md_escape (Streamlit Markdown), plotly_escape (plotly's HTML
subset), the charts built with them, and the exports (Excel, PowerPoint, PDF).

The Markdown references here are CommonMark's backslash escapes and the patterns Streamlit 1.67's
frontend applies to the text *after* the escapes are resolved (copied from its
StreamlitMarkdown bundle). What a browser really shows is checked by
tests/browser/test_text_safety_journey.py.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pandas as pd
import pytest
from openpyxl import load_workbook
from pptx import Presentation
from pypdf import PdfReader
from sqlalchemy.orm import Session

from pst_data import queries, services
from pst_data.exports.deck import plan_deck
from pst_data.exports.excel import plan_workbook
from pst_data.exports.report import evaluation_report
from pst_data.rules import charts
from pst_data.rules.text import WORD_JOINER, md_escape, plotly_escape, spelling_groups
from tests.conftest import TODAY
from tests.test_services import action
from tests.people import ALICE

WJ = WORD_JOINER

# Text people write in a PST: must come out exactly as written (the Markdown source reads the same).
FRENCH = [
    "Réalisation d'un marché public",
    "Renforcer l'action sociale de proximité",
    "Budget : 12 500,50 € (dont 2 000 € de subsides)",
    "« Plan de cohésion sociale » — 2019-2024",
    "CPAS de Saint-Ghislain",
    "1.1.1.1.1",
    "2 action(s) enregistrée(s) : 1.1.1.1.1, 1.1.1.1.2.",
    "Évaluation mi-législature 2021 — Œuvre, Ça, Ï, ÿ, ’",
    "Être un C.P.A.S. qui met en avant la communication ; « Mobiliser » ?",
]

# Text that would do something in Markdown or Streamlit if shown raw.
HOSTILE = [
    "![x](http://127.0.0.1:9/a.png)",
    "**gras** __gras__ *italique* _italique_",
    ":red[rouge] :blue-background[fond] :small[petit] :help[aide]",
    ":material/home: :material_home: :streamlit: :smile: :+1:",
    "$x^2$ et $$y$$",
    "<b>b</b> <img src=x onerror=alert(1)> <!-- commentaire -->",
    "[lien](http://127.0.0.1:9/l) <http://a.be> [réf][1] [^note]",
    "http://exemple.be https://exemple.be/page www.exemple.be marie@cpas.be",
    "~~barré~~ | a | b | `code` &copy; &lt;b&gt;",
    "# Titre", "### Titre", "> citation", "- puce", "+ puce", "* puce", "1. un", "12) douze",
    "---", "===", "***", "___", "```python", ":::note", "::feuille[x]",
    "[a]: http://127.0.0.1:9/def",
    "C:\\dossier\\*fichier*",
]


def resolve(markdown: str) -> str:
    """What CommonMark leaves of backslash escapes: the text Streamlit's later passes see."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def single_line(text: str) -> str:
    return " ".join(text.split())


def unescaped_specials(markdown: str) -> list[str]:
    """Characters of ``markdown`` that keep a meaning (not escaped where they could act)."""
    found, i = [], 0
    while i < len(markdown):
        c = markdown[i]
        if c == "\\":
            i += 2  # an escape: the next character is literal
            continue
        if c in "`*_[]!#$~|<>&@":
            found.append(c)
        elif c == ":" and (i + 1 == len(markdown) or not markdown[i + 1].isspace()):
            found.append(c)
        i += 1
    if markdown[:1] in ("-", "+", "="):
        found.append("line start " + markdown[0])
    if re.match(r"\d+[.)](\s|$)", markdown):
        found.append("ordered list")
    return found


# -- md_escape --------------------------------------------------------------------------------

@pytest.mark.parametrize("text", FRENCH)
def test_french_prose_is_left_as_written(text):
    assert md_escape(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("**gras**", r"\*\*gras\*\*"),
        ("__gras__ _it_", r"\_\_gras\_\_ \_it\_"),
        ("![x](http://h.be/a.png)", "\\!\\[x\\](http\\:" + WJ + "//h.be/a.png)"),
        (":red[rouge]", r"\:red\[rouge\]"),
        (":material/home:", "\\:" + WJ + "material/home\\:"),
        (":smile: et :streamlit:", "\\:" + WJ + "smile: et \\:" + WJ + "streamlit\\:"),
        ("$x^2$", r"\$x^2\$"),
        ("<b>b</b>", r"\<b\>b\</b\>"),
        ("R&D &amp;", r"R\&D \&amp;"),
        ("~~barré~~ | a |", r"\~\~barré\~\~ \| a \|"),
        ("`code`", r"\`code\`"),
        ("# Titre", r"\# Titre"),
        ("> citation", r"\> citation"),
        ("- puce", r"\- puce"),
        ("+ puce", r"\+ puce"),
        ("=====", r"\====="),
        ("1. premier", r"1\. premier"),
        ("12) douze", r"12\) douze"),
        ("www.cpas.be", "www" + WJ + ".cpas.be"),
        ("marie@cpas.be", "marie\\@" + WJ + "cpas.be"),
        ("C:\\dossier", r"C\:\\dossier"),
        ("l'action : fin", "l'action : fin"),  # a colon before a blank means nothing
        ("réunion à 10:30", r"réunion à 10\:30"),
        ("se termine par :", r"se termine par \:"),  # what follows is not ours to know
        ("Priorité (1) : haute", "Priorité (1) : haute"),
    ],
)
def test_what_markdown_or_streamlit_would_read_is_escaped(text, expected):
    assert md_escape(text) == expected


@pytest.mark.parametrize("text", FRENCH + HOSTILE)
def test_escaped_text_reads_exactly_as_typed(text):
    """Nothing is lost: once Markdown has resolved the escapes, the text is the one typed
    (the word joiners are invisible)."""
    assert resolve(md_escape(text)).replace(WJ, "") == single_line(text)


@pytest.mark.parametrize("text", HOSTILE)
def test_nothing_is_left_for_markdown_to_read(text):
    assert unescaped_specials(text), "the sample should be hostile"
    assert unescaped_specials(md_escape(text)) == []


# Streamlit 1.67 (frontend StreamlitMarkdown bundle) rewrites text nodes after the escapes are
# resolved: icons, its logo, emoji shortcodes, and GFM's literal links and e-mail addresses.
STREAMLIT_TEXT_PATTERNS = [
    (":material/home:", r":material_(\w+):"),  # after its own ":material/" -> ":material_"
    (":material_home:", r":material_(\w+):"),
    (":streamlit:", r":streamlit:"),
    (":smile:", r":[\w-]+:"),
    ("voir http://127.0.0.1:9/x", r"(https?://|www(?=\.))([-.\w]+)"),
    ("voir www.exemple.be", r"(https?://|www(?=\.))([-.\w]+)"),
    ("écrire à marie@cpas.be", r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)"),
]


@pytest.mark.parametrize(("text", "pattern"), STREAMLIT_TEXT_PATTERNS)
def test_streamlit_text_rewrites_find_nothing(text, pattern):
    assert re.search(pattern, text.replace(":material/", ":material_"))
    source = md_escape(text)
    assert ":material/" not in source  # Streamlit's replacement, made on the source
    assert not re.search(pattern, resolve(source.replace(":material/", ":material_")))
    # remark-emoji is only loaded when the source itself holds a shortcode.
    assert not re.search(r":(?!material/|streamlit:)[\w+-][\w_+-]*:", source)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("l'action", "l'action"),
        ("  Description  \n\n\n", "Description"),
        ("a\n b\tc", "a b c"),
        ("58,9\u00a0% ; « texte »\u00a0!", "58,9\u00a0% ; « texte »\u00a0\\!"),  # no-break spaces stay
        ("", ""),
        (None, ""),
        (42, "42"),
    ],
)
def test_one_line_by_default(text, expected):
    assert md_escape(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Première ligne\nDeuxième ligne", "Première ligne  \nDeuxième ligne"),
        ("Un\r\n\r\n\r\n    Deux **gras**\n- trois", "Un\n\nDeux \\*\\*gras\\*\\*  \n\\- trois"),
        ("\n\nTitre\n# pas un titre\n1. pas une liste\n===", "Titre  \n\\# pas un titre  \n1\\. pas une liste  \n\\==="),
        ("€ « l'action »\n\n€", "€ « l'action »\n\n€"),
    ],
)
def test_multiline_keeps_lines_and_paragraphs(text, expected):
    assert md_escape(text, multiline=True) == expected


@pytest.mark.parametrize("text", HOSTILE)
def test_multiline_escapes_every_line(text):
    lines = md_escape(f"intro\n{text}\n\n{text}", multiline=True).replace("  \n", "\n").split("\n")
    assert [unescaped_specials(line) for line in lines if line] == [[], [], []]


# -- plotly_escape ----------------------------------------------------------------------------

PLOTLY_ENTITIES = {"mu": "μ", "amp": "&", "lt": "<", "gt": ">", "nbsp": "\u00a0", "times": "×",
                   "plusmn": "±", "deg": "°"}


def plotly_text(text: str) -> str:
    """plotly.js's convertEntities (svg_text_utils), as bundled with Streamlit 1.67."""
    def one(match):
        name = match.group(1)
        if name.startswith("#x"):
            return chr(int(name[2:], 16))
        if name.startswith("#"):
            return chr(int(name[1:]))
        return PLOTLY_ENTITIES.get(name, match.group(0))
    return re.sub(r"&(#\d+|#x[\da-fA-F]+|[a-z]+);", one, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<b>gras</b>", "&lt;b&gt;gras&lt;/b&gt;"),
        ("<a href='http://127.0.0.1:9/'>l</a>", "&lt;a href='http://127.0.0.1:9/'&gt;l&lt;/a&gt;"),
        ("R&D", "R&amp;D"),
        ("&lt;", "&amp;lt;"),
        ("%{y} et 50 %", "&#37;{y} et 50 &#37;"),
        ("$x^2$", "&#36;x^2&#36;"),
        ("l'action « x » à 12 € — Œuvre", "l'action « x » à 12 € — Œuvre"),
        (None, ""),
    ],
)
def test_plotly_escape(text, expected):
    assert plotly_escape(text) == expected


@pytest.mark.parametrize("text", FRENCH + HOSTILE + ["58,9 % <br> %{customdata} &amp; &#60;"])
def test_plotly_shows_the_text_as_typed(text):
    escaped = plotly_escape(text)
    assert plotly_text(escaped) == text
    assert not re.search(r"[<>%$]", escaped)  # no tag, template or maths left
    assert re.sub(r"&(amp|lt|gt|#37|#36);", "", escaped).count("&") == 0


# -- charts -----------------------------------------------------------------------------------

TAG = "<b>b</b> %{x} $m$ <a href='http://127.0.0.1:9/c'>c</a>"
BANDS = [{"label": "Réalisé <i>", "min": 80, "max": 100}, {"label": "Reste", "min": 0, "max": 79}]


def _texts(fig) -> list[str]:
    out = []

    def walk(value):
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, dict):
            for k, v in value.items():
                if k not in ("ids", "parents"):  # a treemap's node keys: never shown
                    walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)
    walk(json.loads(fig.to_json()))
    return out


def _assert_literal(fig, *user_texts):
    texts = _texts(fig)
    for user in user_texts:
        assert not any(user in t for t in texts), user
        assert any(plotly_escape(user) in t for t in texts), user
    # What remains of tags and templates is ours.
    tags = {m for t in texts for m in re.findall(r"<[^<>]*>", t)}
    assert tags <= {"<b>", "</b>", "<br>", "<extra>", "</extra>"}, tags
    templates = {m for t in texts for m in re.findall(r"%\{[^}]*\}", t)}
    assert templates <= {"%{customdata}"}, templates


def test_bar_charts_show_codes_titles_and_bands_as_text():
    rows = pd.DataFrame({"os_code": ["1 <i>", "2"], "os_title": [TAG, "Inclusion & emploi"],
                         "mean_progress": [50.0, None], "actions": [2, 1], "unassessed": [0, 1],
                         "Réalisé <i>": [1, 0], "Reste": [1, 0]})
    _assert_literal(charts.progress_bars(rows, "os_code", "os_title"), TAG, "1 <i>", "Inclusion & emploi")
    _assert_literal(charts.band_split(rows, "os_code", "os_title", BANDS), "Réalisé <i>", "1 <i>")


def test_grouped_bars_and_treemap_show_codes_and_titles_as_text():
    rows = pd.DataFrame({"os_code": ["1 <i>", "1 <i>"], "os_title": [TAG, TAG], "group": ["Alors <u>", "Aujourd'hui"],
                         "mean_progress": [40.0, 60.0], "actions": [2, 2]})
    _assert_literal(charts.grouped_progress(rows, "os_code", "os_title", "group", ["Alors <u>", "Aujourd'hui"]),
                    "1 <i>", "Alors <u>")
    actions = pd.DataFrame({"id": [1, 2], "os_code": ["1 <i>", "1 <i>"], "oo_code": ["1.1 %{x}", "1.1 %{x}"],
                            "code": ["<b>1</b>", "2"], "progress": [50, None], "weight": [1.0, 1.0]})
    _assert_literal(charts.plan_treemap(actions), "1 <i>", "1.1 %{x}", "<b>1</b>")


# -- exports ----------------------------------------------------------------------------------

MARKUP = "![x](http://127.0.0.1:9/a.png) **gras** :red[rouge] <b>b</b> [lien](http://127.0.0.1:9/l)"


@pytest.fixture
def hostile_plan(seeded_engine):
    """Écaussinnes with markup in an action (title, description, chef de projet, label,
    comment) and in its OS title."""
    a = action(seeded_engine, "ecaussinnes", "1.1.1")
    label = "**label** :red[x] <i>i</i>"
    services.save_label(seeded_engine, ALICE, label, "#aa3366")
    services.update_action(seeded_engine, a.id, a.version,
                           {"title": MARKUP, "description": f"Ligne 1\n{MARKUP}", "project_lead": MARKUP,
                            "labels": [label]}, ALICE, comment=MARKUP)
    with Session(seeded_engine) as s:
        plan = queries.find_plan(s, slug="ecaussinnes")
        os_ = queries.objectives_frame(s, plan["id"]).iloc[0]
    services.save_objective(seeded_engine, "os", ALICE, objective_id=int(os_["os_id"]),
                            code=str(os_["os_code"]), title=MARKUP)
    return seeded_engine, plan, str(os_["os_code"])


def _exports(engine, plan):
    with Session(engine) as s:
        actions = queries.actions_frame(s, plan, TODAY)
        return (plan_workbook(s, plan, actions),
                plan_deck(s, plan, actions, TODAY - dt.timedelta(days=30), TODAY, "Aucun filtre."),
                evaluation_report(s, plan, "finale", TODAY, TODAY))


def test_exports_write_markup_as_plain_text_without_links(hostile_plan):
    engine, plan, os_code = hostile_plan
    xlsx, pptx, pdf = _exports(engine, plan)

    wb = load_workbook(io.BytesIO(xlsx))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert sum(c.value == MARKUP for c in cells) >= 3  # OS title, action title, chef de projet
    assert [c.coordinate for c in cells if c.hyperlink is not None or c.data_type == "f"] == []

    deck = Presentation(io.BytesIO(pptx))
    titles = [s.shapes.title.text for s in deck.slides]
    assert f"OS {os_code} · {MARKUP}" in titles
    xml = b"".join(part.blob for part in deck.part.package.iter_parts())
    assert b"hlinkClick" not in xml and b"127.0.0.1" in xml

    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    for literal in ("**gras**", ":red[rouge]", "<b>b</b>", "[lien](http://127.0.0.1:9/l)"):
        assert literal in text, literal
    uris = [annot.get_object()["/A"].get("/URI") for page in reader.pages
            for annot in page.get("/Annots") or [] if "/A" in annot.get_object()]
    assert [u for u in uris if u] == []


# -- control characters: one rule at entry, and exports that never lose a file ------------------

@pytest.mark.parametrize("text, kept", [
    ("Ligne 1\x0bLigne 2", "Ligne 1\nLigne 2"),  # Word's manual line break
    ("Page\x0csuivante", "Page\nsuivante"),
    ("Un\u2028deux\u2029trois\x85quatre", "Un\ndeux\ntrois\nquatre"),
    ("Tab\tet\r\nretour", "Tab\tet\r\nretour"),
    ("Écu € ’ « » \u00a0", "Écu € ’ « » \u00a0"),
])
def test_line_breaks_of_other_programs_are_kept_as_new_lines(text, kept):
    from pst_data.rules.text import normalised_text, refused_character

    assert normalised_text(text) == kept and refused_character(kept) is None


@pytest.mark.parametrize("text, named", [
    ("\x00", "U+0000"), ("a\x07", "U+0007"), ("\x1b[31m", "U+001B"), ("\x7f", "U+007F"), ("\x9b", "U+009B"),
    ("\ud800", "U+D800"), ("\udce9", "U+DCE9"), ("\uffff", "U+FFFF"), ("\x0b", "U+000B"),
])
def test_control_characters_are_named_for_a_person(text, named):
    from pst_data.rules.text import refused_character

    assert refused_character(text) == named


def test_a_title_pasted_from_word_is_saved_with_its_line_break(seeded_engine):
    a = action(seeded_engine, "ecaussinnes", "1.1.1")
    services.update_action(seeded_engine, a.id, a.version, {"title": "Créer\x0bun guichet"}, ALICE)
    assert action(seeded_engine, "ecaussinnes", "1.1.1").title == "Créer\nun guichet"


def test_text_saved_before_the_rule_still_exports(seeded_engine):
    """Control characters stored before the text rule made the overview's « Excel » produce
    nothing (openpyxl refuses them) and the PowerPoint fail: they are dropped from the file."""
    from sqlalchemy import update

    from db.models import Action

    a = action(seeded_engine, "ecaussinnes", "1.1.1")
    with Session(seeded_engine) as s, s.begin():
        s.execute(update(Action).where(Action.id == a.id).values(
            title="Ancien\x1b titre\x7f\x0bcollé", project_lead="Chef\x07", partners=["Partenaire\x1f"]))
    with Session(seeded_engine) as s:
        plan = queries.find_plan(s, slug="ecaussinnes")
    xlsx, pptx, _pdf = _exports(seeded_engine, plan)
    cells = [c.value for ws in load_workbook(io.BytesIO(xlsx)).worksheets for row in ws.iter_rows() for c in row]
    assert "Ancien titre\ncollé" in cells and "Chef" in cells
    assert Presentation(io.BytesIO(pptx)).slides
    from pst_data.exchange.workbook import plan_workbook as template_workbook
    from pst_data.importer import export_plan

    with Session(seeded_engine) as s:
        book = load_workbook(io.BytesIO(template_workbook(export_plan(s, "ecaussinnes"))))
    assert "Ancien titre\ncollé" in [c.value for row in book["Actions"].iter_rows() for c in row]


def test_spellings_of_one_name_are_grouped_whatever_the_case_accents_or_spaces():
    names = ["CRÈCHE", "Deltenre Ludivine", "CRECHE", "DELTENRE  Ludivine", "Crèche", "Service social", " ", ""]
    assert spelling_groups(names) == [["CRECHE", "CRÈCHE", "Crèche"], ["DELTENRE  Ludivine", "Deltenre Ludivine"]]
    assert spelling_groups(["Service social", "Service sociaux"]) == []
