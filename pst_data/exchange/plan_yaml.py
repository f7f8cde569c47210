"""Loading a plan file's text (YAML, or JSON, which is YAML) with the guards a file from anyone needs.

PyYAML's safe loader alone turns ``code: 1.10`` into the float 1.1 (so OO "1.10" silently
becomes "1.1"), lets the last of two equal keys win, expands aliases without bound ("billion
laughs") and composes nested collections recursively (a deep file ends in RecursionError).
``load_yaml`` keeps the safe loader's tags and adds:

- numbers remember their text: ints and floats are built as ``SourceInt`` / ``SourceFloat``,
  which compute as numbers but whose ``str()`` (and ``.source``) is the text as written, so a
  number read where text is expected (a code, a title, the OO of a flat action) keeps its form;
  a YAML 1.1 "octal" such as ``050`` is read as the decimal 50 its writer meant;
- a key written twice in one mapping is refused, with both lines (keys brought in by a merge
  ``<<`` may still be overridden: that is what a merge is for);
- while composing, before any Python object is built: nesting deeper than ``MAX_DEPTH``, a
  document larger than ``MAX_NODES`` once aliases are expanded (each node counted as many times
  as aliases make it appear; the size of each anchor is memoised, so a billion-laughs file is
  refused after a few dozen nodes), and an alias inside its own anchor are refused;
- the text is at most ``MAX_PLAN_FILE_BYTES`` and holds no NUL or other control character.

Every refusal is a ``PlanYamlError`` whose ``errors`` are French messages that give the line
and column when they are known.
"""

from __future__ import annotations

import codecs
import re
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, ScalarNode

MIB = 1024 * 1024
MAX_PLAN_FILE_BYTES = 5 * MIB  # the largest real plan is about 150 KB
MAX_DEPTH = 40  # a plan nests about ten levels (plan › OS › OO › action › sous-action › field)
MAX_NODES = 200_000  # a real plan has a few thousand nodes (Binche, 117 KB: about 5 000)

YAML_TAG_PREFIX = "tag:yaml.org,2002:"
MERGE_TAG = YAML_TAG_PREFIX + "merge"
VALUE_TAG = YAML_TAG_PREFIX + "value"

# What YAML forbids in a stream (the pure-Python reader's own pattern): checked up front so the
# refusal names the line, whichever parser runs. Lone surrogates are in it too.
NOT_PRINTABLE = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")
# YAML 1.1 reads a plain 050 as octal (40); nobody writes a taux or a budget in octal.
YAML11_OCTAL = re.compile(r"[-+]?0[0-7_]+")


class PlanYamlError(ValueError):
    """A text that cannot be read as a plan file; ``errors`` lists the problems, in French."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


class _AsWritten:
    """A number that remembers how it was written (``source``), which ``str`` gives back."""

    source: str
    plain: type  # the number's own type, for copy and pickle

    def __new__(cls, value, source: str):
        number = super().__new__(cls, value)
        number.source = source
        return number

    def __getnewargs__(self) -> tuple:  # copy and pickle need the source too
        return self.plain(self), self.source

    def __str__(self) -> str:
        return self.source


class SourceInt(_AsWritten, int):
    """An int that remembers how it was written: ``str(SourceInt(7, "007")) == "007"``."""

    plain = int


class SourceFloat(_AsWritten, float):
    """A float that remembers how it was written: ``str(SourceFloat(1.1, "1.10")) == "1.10"``."""

    plain = float


def plain_numbers(value: Any) -> Any:
    """``value`` with every SourceInt/SourceFloat turned back into a plain int/float, so what
    leaves the loader (database, JSON, caches) only holds ordinary types."""
    if isinstance(value, dict):
        return {plain_numbers(k): plain_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_numbers(v) for v in value]
    if isinstance(value, tuple):
        return tuple(plain_numbers(v) for v in value)
    if isinstance(value, SourceInt):
        return int(value)
    if isinstance(value, SourceFloat):
        return float(value)
    return value


# -- messages -----------------------------------------------------------------------------

def where(mark: Any) -> str:
    return f"ligne {mark.line + 1}, colonne {mark.column + 1}"


def format_mo(size: int, decimals: int = 1) -> str:
    return f"{size / MIB:.{decimals}f}".replace(".", ",") + " Mo"


def size_problem(size: int, exact: bool = True) -> str | None:
    """The French refusal for a plan file of ``size`` bytes (or more, when not ``exact``: a read
    stopped at the limit), or None when it is small enough."""
    if size <= MAX_PLAN_FILE_BYTES:
        return None
    limit = format_mo(MAX_PLAN_FILE_BYTES, 0)
    if exact:
        problem = f"le fichier fait {format_mo(size)} ; la limite est de {limit}"
    else:
        problem = f"le fichier dépasse la limite de {limit}"
    return f"{problem} (un plan réel en fait quelques centaines de Ko)."


def _line_column(text: str, index: int) -> str:
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"ligne {line}, colonne {column}"


def _short_tag(tag: str | None) -> str:
    if tag and tag.startswith(YAML_TAG_PREFIX):
        return "!!" + tag[len(YAML_TAG_PREFIX):]
    return str(tag)


def _shown(value: Any, limit: int = 60) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# PyYAML's problems are in English (and worded differently by libyaml and by the pure-Python
# parser); the frequent ones get a French hint.
TAB_HINT = "une tabulation ne peut pas servir d'indentation ; utilisez des espaces"
SYNTAX_HINTS = (
    ("found character '\\t' that cannot start any token", TAB_HINT),
    ("found a tab character", TAB_HINT),
    ("mapping values are not allowed",
     "« : » inattendu ; un texte qui contient « : » doit être mis entre guillemets, ou "
     "l'indentation est incohérente"),
    ("could not find expected ':'", "« : » manquant après une clé"),
    ("found unexpected end of stream", "fin du fichier inattendue : guillemet non refermé ?"),
    ("expected ',' or ']'", "crochet « [ » non refermé ou virgule manquante"),
    ("expected ',' or '}'", "accolade « { » non refermée ou virgule manquante"),
    ("did not find expected key", "indentation incohérente"),
    ("expected <block end>", "indentation incohérente"),
    ("did not find expected '-' indicator", "indentation incohérente dans une liste"),
    ("expected a single document",
     "le fichier contient plusieurs documents (« --- ») ; un seul plan par fichier"),
    ("found undefined alias", "alias « * » sans ancre « & » définie avant lui"),
    ("found duplicate anchor", "une même ancre « & » est définie deux fois"),
    ("found unhashable key", "une clé doit être un texte ou un nombre"),
    ("found unknown escape character",
     "séquence d'échappement « \\ » inconnue dans un texte entre guillemets doubles"),
)


def _syntax_message(exc: yaml.MarkedYAMLError, text: str) -> str:
    mark = exc.problem_mark or exc.context_mark
    place = f" ({where(mark)})" if mark is not None else ""
    problem = f"{exc.context or ''} {exc.problem or ''}"
    hint = next((french for english, french in SYNTAX_HINTS if english in problem), None)
    if hint is None and mark is not None and "cannot start any token" in problem:
        lines = text.split("\n", mark.line + 1)  # libyaml does not name the character
        if mark.line < len(lines) and lines[mark.line][mark.column:mark.column + 1] == "\t":
            hint = TAB_HINT
    return f"le fichier n'est pas un YAML/JSON valide{place}" + (f" : {hint}." if hint else ".")


# -- composing, with the bounds -----------------------------------------------------------

class GuardedComposer(Composer):
    """PyYAML's composer with depth, expanded-size, cycle and duplicate-key checks.

    The bounds are checked node by node as the document is composed, so a bad file stops early
    and no Python object is built for it. Mixed into a loader that also has a constructor (keys
    are constructed to be compared as the final dict will compare them: 1, 1.0 and true are the
    same key there).
    """

    def __init__(self) -> None:
        Composer.__init__(self)
        self.depth = 0  # nodes on the path from the root to the current one
        self.peak = 0  # deepest level reached inside the node being composed
        self.expanded = 0  # nodes so far, each counted once per place it appears
        self.measured: dict[str, tuple[int, int]] = {}  # anchor -> (expanded size, height)
        self.duplicate_keys: list[str] = []

    def get_single_node(self):
        node = super().get_single_node()
        if self.duplicate_keys:
            raise PlanYamlError(self.duplicate_keys)
        return node

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            anchor = event.anchor
            if anchor in self.measured:
                size, height = self.measured[anchor]
                self._grow(size, event.start_mark, alias=anchor)
                self._reach(self.depth + height, event.start_mark, alias=anchor)
            elif anchor in self.anchors:  # its anchor is still being composed: we are inside it
                raise PlanYamlError([
                    f"{where(event.start_mark)} : l'alias « *{anchor} » est à l'intérieur de "
                    f"l'ancre « &{anchor} » qu'il répète ; une structure qui se contient "
                    "elle-même est refusée."
                ])
            return super().compose_node(parent, index)  # an undefined alias is PyYAML's error
        self.depth += 1
        self._reach(self.depth, event.start_mark)
        self._grow(1, event.start_mark)
        expanded_before, outer_peak = self.expanded - 1, self.peak
        self.peak = self.depth
        node = super().compose_node(parent, index)
        if event.anchor is not None:
            self.measured[event.anchor] = (self.expanded - expanded_before, self.peak - self.depth + 1)
        self.peak = max(outer_peak, self.peak)
        self.depth -= 1
        return node

    def compose_mapping_node(self, anchor):
        node = super().compose_mapping_node(anchor)
        self._check_duplicate_keys(node)
        return node

    def _reach(self, depth: int, mark: Any, alias: str | None = None) -> None:
        if depth > MAX_DEPTH:
            through = f" une fois l'alias « *{alias} » développé" if alias else ""
            raise PlanYamlError([
                f"{where(mark)} : imbrication trop profonde{through} (plus de {MAX_DEPTH} "
                "niveaux ; un plan en compte une dizaine)."
            ])
        self.peak = max(self.peak, depth)

    def _grow(self, size: int, mark: Any, alias: str | None = None) -> None:
        self.expanded += size
        if self.expanded > MAX_NODES:
            limit = f"{MAX_NODES:,}".replace(",", "\u00a0")
            through = f" une fois les alias développés (ici « *{alias} »)" if alias else ""
            raise PlanYamlError([
                f"{where(mark)} : le document dépasse {limit} éléments{through} ; un plan réel "
                "en compte quelques milliers."
            ])

    def _check_duplicate_keys(self, node: MappingNode) -> None:
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == MERGE_TAG:
                continue  # a merge may override; a collection as key is refused when built
            key = key_node.value if key_node.tag == VALUE_TAG else self.construct_object(key_node)
            try:
                first = seen.get(key)
            except TypeError:
                continue
            if first is None:
                seen[key] = key_node.start_mark
            else:
                self.duplicate_keys.append(
                    f"{where(key_node.start_mark)} : clé « {_shown(key_node.value)} » en double "
                    f"(déjà présente ligne {first.line + 1})."
                )


# -- constructing -------------------------------------------------------------------------

class PlanConstructor(SafeConstructor):
    """The safe constructor, with numbers that keep their text and French refusals."""

    def construct_source_int(self, node: ScalarNode) -> SourceInt:
        text = node.value
        if YAML11_OCTAL.fullmatch(text):
            return SourceInt(int(text.replace("_", ""), 10), text)
        return SourceInt(SafeConstructor.construct_yaml_int(self, node), text)

    def construct_source_float(self, node: ScalarNode) -> SourceFloat:
        return SourceFloat(SafeConstructor.construct_yaml_float(self, node), node.value)

    def construct_undefined(self, node) -> Any:
        raise PlanYamlError([
            f"{where(node.start_mark)} : étiquette « {_shown(_short_tag(node.tag))} » non permise ; "
            "un fichier de plan ne contient que des textes, nombres, dates, listes et dictionnaires."
        ])

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except (yaml.YAMLError, PlanYamlError):
            raise
        except (ValueError, TypeError, AttributeError, OverflowError):
            # e.g. "!!int abc", "!!timestamp demain", a date 2024-13-45: PyYAML's constructors
            # fail with a bare Python error
            shown = f" « {_shown(node.value)} »" if isinstance(node, ScalarNode) else ""
            raise PlanYamlError([
                f"{where(node.start_mark)} : valeur{shown} illisible comme "
                f"{_short_tag(node.tag)}."
            ]) from None


PlanConstructor.add_constructor(YAML_TAG_PREFIX + "int", PlanConstructor.construct_source_int)
PlanConstructor.add_constructor(YAML_TAG_PREFIX + "float", PlanConstructor.construct_source_float)
PlanConstructor.add_constructor(None, PlanConstructor.construct_undefined)


class PythonPlanLoader(GuardedComposer, PlanConstructor, yaml.SafeLoader):
    """PyYAML's pure-Python SafeLoader with the guards."""

    def __init__(self, stream: str):
        yaml.SafeLoader.__init__(self, stream)
        GuardedComposer.__init__(self)


if getattr(yaml, "__with_libyaml__", False):

    class CPlanLoader(GuardedComposer, PlanConstructor, yaml.CSafeLoader):
        """libyaml scans and parses (about ten times faster); composing stays in Python, in
        GuardedComposer (which comes first in the MRO), since libyaml's composer knows no bound."""

        def __init__(self, stream: str):
            yaml.CSafeLoader.__init__(self, stream)
            GuardedComposer.__init__(self)

    PlanLoader: type = CPlanLoader
    LOADERS: tuple[type, ...] = (CPlanLoader, PythonPlanLoader)
else:  # PyYAML built without libyaml
    PlanLoader = PythonPlanLoader
    LOADERS = (PythonPlanLoader,)


# -- entry points -------------------------------------------------------------------------

def decode_text(data: bytes) -> str:
    """The text of a plan file's bytes: UTF-8 only, with universal newlines (as ``read_text``)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise PlanYamlError(["le fichier n'est pas un texte UTF-8 lisible : il est enregistré en "
                             "UTF-16 ; enregistrez-le en UTF-8."])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise PlanYamlError([
            f"le fichier n'est pas un texte UTF-8 lisible (octet 0x{data[exc.start]:02X} à la "
            f"ligne {line}) ; enregistrez-le en UTF-8."
        ]) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def check_text(text: str) -> None:
    """Refuse a text too large for a plan file, or holding a NUL or another control character."""
    if len(text) > MAX_PLAN_FILE_BYTES:  # a character is at least one byte: no need to encode
        size = len(text)
    else:
        size = len(text.encode("utf-8", "surrogatepass"))
    problem = size_problem(size)
    if problem:
        raise PlanYamlError([problem])
    nul = text.find("\x00")
    if nul >= 0:
        raise PlanYamlError([f"{_line_column(text, nul)} : le fichier contient un octet nul ; ce "
                             "n'est pas un fichier texte (YAML ou JSON)."])
    bad = NOT_PRINTABLE.search(text)
    if bad:
        raise PlanYamlError([f"{_line_column(text, bad.start())} : caractère U+{ord(bad.group()):04X} "
                             "interdit dans un fichier de plan (caractère de contrôle ou invalide)."])


def load_yaml(text: str, *, loader: type | None = None) -> Any:
    """The data of a plan file's text (YAML or JSON), or PlanYamlError in French."""
    check_text(text)
    try:
        instance = (loader or PlanLoader)(text)
        try:
            return instance.get_single_data()
        finally:
            instance.dispose()
    except PlanYamlError:
        raise
    except yaml.MarkedYAMLError as exc:
        raise PlanYamlError([_syntax_message(exc, text)]) from None
    except yaml.YAMLError:
        raise PlanYamlError(["le fichier n'est pas un YAML/JSON valide."]) from None
    except RecursionError:
        # MAX_DEPTH keeps PyYAML's recursion short; this is for a caller already deep in its stack
        raise PlanYamlError([f"imbrication trop profonde (plus de {MAX_DEPTH} niveaux ; un plan "
                             "en compte une dizaine)."]) from None
