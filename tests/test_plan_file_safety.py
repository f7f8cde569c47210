"""Plan files read safely: unquoted codes keep their text, duplicate keys, alias bombs, deep
nesting, huge, non-UTF-8 and binary files are refused in French, and nothing reaches the database."""

from __future__ import annotations

import copy
import pickle
import time
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Action, History, Plan
from pst_data.cli import main as cli_main
from pst_data.exchange import plan_yaml
from pst_data.exchange.plan_file import PlanFileError, load_plan_file, parse_plan_text, validate_plan
from pst_data.exchange.plan_yaml import LOADERS, MAX_PLAN_FILE_BYTES, PlanYamlError, load_yaml
from pst_data.importer import export_plan, import_plan
from pst_data.seed import demo_plan_files

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024

# Every code unquoted, as people write them; OO 1.10 is the tenth OO of OS 1, not OO 1.1.
UNQUOTED_CODES = """\
format: 1
slug: codes-nus
organisation: CPAS d'Essai
title: PST aux codes non cités
period: {start: 2025, end: 2030}
priority_scale: [Haute, Basse]
strategic_objectives:
  - code: 1
    title: Un CPAS proche
    operational_objectives:
      - code: 1.1
        title: Accueillir
        actions:
          - {code: 1.1.1, title: Guichet unique, progress: 40, budget: 1500.50, weight: 2}
      - code: 1.2
        title: Informer
        actions: [{code: 1.2.1, title: Site internet}]
      - code: 1.10
        title: Dixième objectif
        actions: [{code: 1.10.1, title: Dixième action, progress: 050}]
  - code: 10
    title: Dixième OS
    operational_objectives:
      - {code: 10.1, title: Premier OO du dixième OS}
actions:
  - {oo: 1.10, code: 1.10.2, title: Ajoutée à plat}
"""

UNQUOTED_CODES_JSON = """\
{"format": 1, "slug": "codes-json", "organisation": "CPAS", "title": "PST en JSON",
 "strategic_objectives": [{"code": 1, "title": "OS un", "operational_objectives": [
   {"code": 1.1, "title": "OO un"},
   {"code": 1.10, "title": "OO dix", "actions": [{"code": "1.10.1", "title": "Action", "progress": 30}]}]}]}
"""

# A valid plan; the refusal cases below break it in one way each, next to a valid change
# (taux 40 -> 90) that must not land either.
VALID = """\
format: 1
slug: essai
organisation: CPAS d'Essai
title: PST d'essai
strategic_objectives:
  - code: "1"
    title: Un CPAS proche
    operational_objectives:
      - code: "1.1"
        title: Accueillir
        actions:
          - code: "1.1.1"
            title: Guichet unique
            progress: 40
"""


def _codes(plan):
    return [
        (os_["code"], [(oo["code"], [a["code"] for a in oo["actions"]])
                       for oo in os_["operational_objectives"]])
        for os_ in plan["strategic_objectives"]
    ]


def _assert_identical(got, expected, path="plan"):
    """Equal, and of the same types all the way down (1 == 1.0 == True is not enough here)."""
    assert type(got) is type(expected), f"{path}: {type(got).__name__} != {type(expected).__name__}"
    if isinstance(expected, dict):
        assert list(got) == list(expected), path
        for key in expected:
            _assert_identical(got[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert len(got) == len(expected), path
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            _assert_identical(g, e, f"{path}[{i}]")
    else:
        assert got == expected, path


# -- numbers keep their text ------------------------------------------------------------

@pytest.mark.parametrize("loader", LOADERS, ids=lambda c: c.__name__)
def test_numbers_keep_the_text_they_were_written_with(loader):
    data = load_yaml("a: 1.10\nb: 7\nc: 1.1.1\nd: 050\ne: 1_000\nf: -2.50\n", loader=loader)
    assert [str(v) for v in data.values()] == ["1.10", "7", "1.1.1", "050", "1_000", "-2.50"]
    assert data["a"] == 1.1 and data["a"].source == "1.10" and data["a"] + 1 == 2.1
    assert data["b"] == 7 and data["b"] * 2 == 14 and type(data["b"] * 2) is int
    assert data["d"] == 50  # YAML 1.1 would read 050 as the octal 40
    assert data["e"] == 1000 and data["f"] == -2.5
    for kept in (copy.deepcopy(data), pickle.loads(pickle.dumps(data))):
        assert kept == data and kept["a"].source == "1.10" and kept["d"].source == "050"


def test_unquoted_codes_stay_text_and_numbers_stay_numbers():
    plan = parse_plan_text(UNQUOTED_CODES)
    assert _codes(plan) == [
        ("1", [("1.1", ["1.1.1"]), ("1.2", ["1.2.1"]), ("1.10", ["1.10.1", "1.10.2"])]),
        ("10", [("10.1", [])]),
    ]
    first = plan["strategic_objectives"][0]["operational_objectives"][0]["actions"][0]
    tenth = plan["strategic_objectives"][0]["operational_objectives"][2]["actions"][0]
    assert (first["progress"], first["budget"], first["weight"], tenth["progress"]) == (40, 1500.5, 2, 50)
    assert plan["period"] == {"start": 2025, "end": 2030}
    # what leaves the loader holds plain ints and floats only
    numbers = (first["progress"], first["weight"], tenth["progress"], plan["period"]["start"], plan["format"])
    assert all(type(value) is int for value in numbers)
    assert type(first["budget"]) is float

    json_plan = parse_plan_text(UNQUOTED_CODES_JSON)  # JSON numbers too
    assert _codes(json_plan) == [("1", [("1.1", []), ("1.10", ["1.10.1"])])]


def test_unquoted_codes_survive_import_and_export(empty_engine):
    plan = parse_plan_text(UNQUOTED_CODES)
    report = import_plan(empty_engine, plan)
    assert report.created and report.actions_created == 4
    with Session(empty_engine) as s:
        assert sorted(s.scalars(select(Action.code))) == ["1.1.1", "1.10.1", "1.10.2", "1.2.1"]
        exported = export_plan(s, "codes-nus")
    assert _codes(exported) == _codes(plan)
    assert exported == plan
    assert not import_plan(empty_engine, exported).changed


# -- what the loader refuses ------------------------------------------------------------

@pytest.mark.parametrize("loader", LOADERS, ids=lambda c: c.__name__)
def test_duplicate_key_is_refused_with_its_line(loader):
    text = VALID + "            title: Autre titre\n"
    with pytest.raises(PlanYamlError) as caught:
        load_yaml(text, loader=loader)
    assert caught.value.errors == [
        "ligne 15, colonne 13 : clé « title » en double (déjà présente ligne 13)."]
    # in any mapping, flow style too; equal numbers are the same key (1 and 1.0)
    with pytest.raises(PlanYamlError, match="ligne 2, colonne 11 : clé « 1.0 » en double"):
        load_yaml("a: 1\nb: {1: x, 1.0: y}\n", loader=loader)
    # a merge key may still be overridden: that is what it is for
    assert load_yaml("base: &b {x: 1, y: 2}\nd: {<<: *b, x: 3}\n", loader=loader)["d"] == {"x": 3, "y": 2}


def test_duplicate_key_in_a_plan_is_refused():
    with pytest.raises(PlanFileError) as caught:
        parse_plan_text(VALID + "            progress: 90\n")
    assert caught.value.errors == [
        "ligne 15, colonne 13 : clé « progress » en double (déjà présente ligne 14)."]
    assert "Rien n'a été importé" in str(caught.value)


def _billion_laughs(levels: int = 9, width: int = 9) -> str:
    lines = ['l0: &l0 "lol"']
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("loader", LOADERS, ids=lambda c: c.__name__)
def test_alias_bomb_is_refused_at_once(loader):
    start = time.thread_time()
    with pytest.raises(PlanYamlError) as caught:
        load_yaml(_billion_laughs(), loader=loader)  # 9**9 = 387 million "lol" once expanded
    assert time.thread_time() - start < 0.5
    assert "une fois les alias développés" in caught.value.errors[0]
    assert caught.value.errors[0].startswith("ligne 7, colonne ")  # l6: 9**6 > 200 000
    # a few aliases, as people use them, are fine
    assert load_yaml("a: &a [1, 2]\nb: [*a, *a]\n", loader=loader) == {"a": [1, 2], "b": [[1, 2], [1, 2]]}


@pytest.mark.parametrize("loader", LOADERS, ids=lambda c: c.__name__)
def test_alias_inside_its_own_anchor_is_refused(loader):
    with pytest.raises(PlanYamlError, match="ligne 1, colonne 11 : l'alias « \\*a » est à l'intérieur"):
        load_yaml("a: &a [1, *a]\n", loader=loader)


@pytest.mark.parametrize("loader", LOADERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("style", ["flow", "block", "alias"])
def test_deep_nesting_is_refused(loader, style):
    if style == "flow":
        text = "stated_totals: " + "[" * 1000 + "]" * 1000 + "\n"
    elif style == "block":
        text = "".join(f"{'  ' * i}k{i}:\n" for i in range(1000)) + "  " * 1000 + "fin\n"
    else:  # 30 anchors, each two levels deeper than the one it repeats: deep only once expanded
        text = "l0: &l0 [x]\n" + "".join(f"l{i}: &l{i} [[*l{i - 1}]]\n" for i in range(1, 30))
    start = time.thread_time()  # this thread's CPU: what other tests running beside it cost is not counted
    with pytest.raises(PlanYamlError) as caught:
        load_yaml(text, loader=loader)
    assert time.thread_time() - start < 0.5
    assert "imbrication trop profonde" in caught.value.errors[0]
    assert caught.value.errors[0].startswith("ligne ")


@pytest.mark.parametrize("loader", LOADERS, ids=lambda c: c.__name__)
def test_recursion_error_is_refused_in_french(loader, monkeypatch):
    monkeypatch.setattr(plan_yaml, "MAX_DEPTH", 10**6)  # let PyYAML's recursive composer overflow
    with pytest.raises(PlanYamlError, match="imbrication trop profonde"):
        load_yaml("[" * 5000 + "]" * 5000, loader=loader)


@pytest.mark.parametrize("loader", LOADERS, ids=lambda c: c.__name__)
def test_only_the_safe_tags(loader):
    with pytest.raises(PlanYamlError) as caught:
        load_yaml("a: 1\nb: !!python/object/apply:os.system ['echo perdu']\n", loader=loader)
    assert caught.value.errors == [
        "ligne 2, colonne 4 : étiquette « !!python/object/apply:os.system » non permise ; un fichier "
        "de plan ne contient que des textes, nombres, dates, listes et dictionnaires."]
    with pytest.raises(PlanYamlError, match="ligne 1, colonne 4 : valeur « abc » illisible comme !!int"):
        load_yaml("a: !!int abc\n", loader=loader)
    assert load_yaml("a: !!str 1.10\nb: !!float 2\n", loader=loader) == {"a": "1.10", "b": 2.0}


def test_syntax_errors_say_where_in_french():
    with pytest.raises(PlanFileError) as caught:
        parse_plan_text("slug: x\n\ttitle: y\n")
    assert caught.value.errors == [
        "le fichier n'est pas un YAML/JSON valide (ligne 2, colonne 1) : une tabulation ne peut "
        "pas servir d'indentation ; utilisez des espaces."]


# -- size, encoding, NUL ------------------------------------------------------------------

def _write_big_plan(path: Path, size: int) -> Path:
    """A well-formed plan of ``size`` bytes (a very long list of notes)."""
    head = VALID.replace("strategic_objectives:", "notes:\n{notes}strategic_objectives:")
    line = "  - une note assez longue pour remplir le fichier, encore et encore et encore\n"
    count = (size - len(head)) // len(line) + 1
    path.write_text(head.replace("{notes}", line * count), encoding="utf-8")
    return path


def test_size_limit(tmp_path):
    start = time.perf_counter()
    with pytest.raises(PlanFileError) as caught:
        parse_plan_text("#" * (60 * MIB))
    assert caught.value.errors[0].startswith("le fichier fait 60,0 Mo ; la limite est de 5 Mo")
    big = _write_big_plan(tmp_path / "big.yaml", 60 * MIB)
    with pytest.raises(PlanFileError, match="le fichier fait 60,0 Mo ; la limite est de 5 Mo"):
        load_plan_file(big)
    assert time.perf_counter() - start < 2
    # just under the limit is read
    fine = _write_big_plan(tmp_path / "fine.yaml", MAX_PLAN_FILE_BYTES - 1000)
    assert fine.stat().st_size <= MAX_PLAN_FILE_BYTES
    assert len(load_plan_file(fine)["notes"]) > 60_000
    # a file whose size stat does not tell is still read no further than the limit
    if Path("/dev/zero").exists():
        with pytest.raises(PlanFileError, match="le fichier dépasse la limite de 5 Mo"):
            load_plan_file("/dev/zero")


def test_non_utf8_and_nul_are_refused(tmp_path):
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes(VALID.replace("Accueillir", "Accueillir à temps").encode("latin-1"))
    with pytest.raises(PlanFileError) as caught:
        load_plan_file(latin1)
    assert caught.value.errors == ["le fichier n'est pas un texte UTF-8 lisible (octet 0xE0 à la "
                                   "ligne 10) ; enregistrez-le en UTF-8."]
    utf16 = tmp_path / "utf16.yaml"
    utf16.write_bytes(VALID.encode("utf-16"))
    with pytest.raises(PlanFileError, match="n'est pas un texte UTF-8 lisible : il est enregistré en UTF-16"):
        load_plan_file(utf16)
    nul = tmp_path / "nul.yaml"
    nul.write_bytes(VALID.encode() + b"  # fin\x00\n")
    with pytest.raises(PlanFileError) as caught:
        load_plan_file(nul)
    assert caught.value.errors == ["ligne 15, colonne 8 : le fichier contient un octet nul ; ce "
                                   "n'est pas un fichier texte (YAML ou JSON)."]
    with pytest.raises(PlanFileError, match="ligne 2, colonne 4 : caractère U\\+0007 interdit"):
        parse_plan_text("a: 1\nb: \x07\n")
    with pytest.raises(PlanFileError, match="ligne 1, colonne 4 : caractère U\\+D800 interdit"):
        parse_plan_text("a: \ud800\n")  # a lone surrogate (text decoded with surrogateescape…)
    # a UTF-8 BOM and Windows line ends are fine
    windows = tmp_path / "windows.yaml"
    windows.write_bytes(b"\xef\xbb\xbf" + VALID.replace("\n", "\r\n").encode())
    assert load_plan_file(windows) == parse_plan_text(VALID)


# -- the demo plans are read as before ----------------------------------------------------

@pytest.mark.parametrize("path", demo_plan_files(), ids=lambda p: p.stem)
def test_demo_plans_load_as_before(path):
    text = path.read_text(encoding="utf-8")
    before = yaml.safe_load(text)
    for loader in LOADERS:
        assert load_yaml(text, loader=loader) == before
    _assert_identical(load_plan_file(path), validate_plan(before))


# -- refusals write nothing ---------------------------------------------------------------

def _counts(engine):
    with Session(engine) as s:
        return (s.scalar(select(func.count(Plan.id))), s.scalar(select(func.count(Action.id))),
                s.scalar(select(func.count(History.id))), s.scalar(select(Action.progress)))


REFUSED_FILES = {
    "duplicate key": (VALID.replace("progress: 40", "progress: 40\n            progress: 90").encode(),
                      "ligne 15, colonne 13 : clé « progress » en double"),
    "alias bomb": ((VALID.replace("progress: 40", "progress: 90") + "stated_totals:\n  "
                    + _billion_laughs(6, 10).replace("\n", "\n  ")).encode(),
                   "une fois les alias développés"),
    "deep nesting": ((VALID.replace("progress: 40", "progress: 90") + "stated_totals: {a: "
                      + "[" * 1000 + "]" * 1000 + "}\n").encode(), "imbrication trop profonde"),
    "cycle": ((VALID.replace("progress: 40", "progress: 90") + "notes: &n [*n]\n").encode(),
              "qui se contient elle-même"),
    "unsafe tag": ((VALID.replace("progress: 40", "progress: 90")
                    + "notes: !!python/object/new:list []\n").encode(),
                   "étiquette « !!python/object/new:list » non permise"),
    "latin-1": (VALID.replace("progress: 40", "progress: 90").replace("Accueillir", "Été").encode("latin-1"),
                "n'est pas un texte UTF-8 lisible"),
    "NUL": (VALID.replace("progress: 40", "progress: 90").encode() + b"\x00", "contient un octet nul"),
    "6 Mo": (None, "le fichier fait 6,0 Mo ; la limite est de 5 Mo"),
}


def test_refused_files_write_nothing(empty_engine, tmp_path, monkeypatch, capsys):
    import_plan(empty_engine, parse_plan_text(VALID))
    before = _counts(empty_engine)
    assert before[:2] == (1, 1) and before[3] == 40
    monkeypatch.setenv("PST_DATABASE_URL", empty_engine.url.render_as_string(hide_password=False))
    for name, (content, message) in REFUSED_FILES.items():
        path = tmp_path / f"{name}.yaml"
        if content is None:
            _write_big_plan(path, 6 * MIB).write_text(
                path.read_text(encoding="utf-8").replace("progress: 40", "progress: 90"), encoding="utf-8")
        else:
            path.write_bytes(content)
        start = time.perf_counter()
        assert cli_main(["import", str(path)]) == 2, name
        assert time.perf_counter() - start < 1, name
        err = capsys.readouterr().err
        assert message in err and "Rien n'a été importé" in err, (name, err)
        assert "Traceback" not in err
        assert _counts(empty_engine) == before, name


def test_cli_check_refuses_a_60_mb_file_at_once(cli, tmp_path):
    big = _write_big_plan(tmp_path / "enorme.yaml", 60 * MIB)
    database = tmp_path / "cli.sqlite3"
    start = time.perf_counter()
    out = cli("check", str(big), url=f"sqlite:///{database}")
    assert time.perf_counter() - start < 5
    assert out.returncode == 2, out.stderr
    assert "le fichier fait 60,0 Mo ; la limite est de 5 Mo" in out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""
    assert not database.exists()  # check never opens the database


def test_cli_import_refuses_a_60_mb_file_and_writes_nothing(cli, empty_engine, tmp_path):
    import_plan(empty_engine, parse_plan_text(VALID))
    before = _counts(empty_engine)
    big = _write_big_plan(tmp_path / "enorme.yaml", 60 * MIB)
    start = time.perf_counter()
    out = cli("import", str(big), url=empty_engine.url.render_as_string(hide_password=False))
    assert time.perf_counter() - start < 5
    assert out.returncode == 2, out.stderr
    assert "le fichier fait 60,0 Mo ; la limite est de 5 Mo" in out.stderr
    assert "Rien n'a été importé" in out.stderr and "Traceback" not in out.stderr
    assert _counts(empty_engine) == before
