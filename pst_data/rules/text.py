"""Text helpers: search and date parsing, and user text made safe for Markdown and plotly."""

from __future__ import annotations

import re
import unicodedata


# The one text rule, for every field and every entry point (page, bulk table, file, command line).
# Line breaks other programs write are kept as what they mean, a new line: Word's manual line
# break (\x0b), a page break (\x0c), NEL (\x85), Unicode's line and paragraph separators.
LINE_BREAKS = str.maketrans({"\x0b": "\n", "\x0c": "\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n"})
# What no field keeps: the other control characters (C0 but tab, new line and carriage return;
# DEL; C1), lone UTF-16 surrogates (an undecodable byte), U+FFFE and U+FFFF. Invisible, refused
# by Excel, XML and PowerPoint, and a NUL or a surrogate by the databases too.
REFUSED_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def normalised_text(text: str) -> str:
    """``text`` with the line breaks of other programs as new lines (what is then checked)."""
    return text.translate(LINE_BREAKS)


def refused_character(text: str) -> str | None:
    """The first character no field keeps, named for a person (« U+001B »), or None."""
    found = REFUSED_CHARACTERS.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def has_invalid_character(text: str) -> bool:
    return REFUSED_CHARACTERS.search(text) is not None


def printable(text: str) -> str:
    """For a document written from stored text (Excel, PowerPoint): what was saved before the
    rule above existed may still hold such characters; they are dropped, not the whole file."""
    return REFUSED_CHARACTERS.sub("", normalised_text(text))


def fold(text: str) -> str:
    """Case- and accent-insensitive form: "Évaluation" -> "evaluation"."""
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def label_key(name: str) -> str:
    """What makes two label names the same label: « PPI » and « ppi », « États généraux » and
    « etats  generaux ». Computed here, in Python, and stored (labels.name_key, unique): SQLite's
    lower() knows ASCII only, so the database could not be asked to compare them itself."""
    return fold(" ".join(name.split()))


def spelling_groups(names) -> list[list[str]]:
    """Names that differ only by case, accents or spaces (« CRECHE », « Crèche  »): one person or
    service spelt two ways by the documents, which a directeur may merge. Each group in the one
    order of names, groups ordered by their first name."""
    groups: dict[str, set[str]] = {}
    for name in names:
        if name and name.strip():
            groups.setdefault(label_key(name), set()).add(name)
    return sorted((sorted_names(g) for g in groups.values() if len(g) > 1), key=lambda g: (fold(g[0]), g[0]))


def sorted_names(names) -> list[str]:
    """The one order of a set of names (labels...): accent- and case-blind, so that SQLite and
    PostgreSQL, whose collations differ, give the same lists."""
    return sorted(names, key=lambda n: (fold(n), n))


def shorten(text: str, limit: int = 48) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (chart axes, slide tables)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# -- user text shown by Streamlit (Markdown) and plotly (a subset of HTML) -----------------

# ASCII punctuation that Markdown (CommonMark + GFM), Streamlit (":red[…]" directives,
# ":material/…:" icons, emoji shortcodes, "$…$" maths) or HTML give a meaning to anywhere in a
# line. Two are escaped only where they can mean something, so that French prose such as
# "action(s) enregistrée(s) : 3" reads the same in the Markdown source:
# - ":" unless a blank follows: directives, icons, shortcodes and "http://" need a character
#   right after the colon;
# - "(" and ")" never: they only matter after a "]" (escaped) or in "1) " at a line start
#   (handled with the line starts).
_MD_ALWAYS = frozenset("\\`*_[]!#$~|<>&@")
_MD_COLON = re.compile(r":(?!\s)")
# At the start of a line these begin a list item, a setext heading underline or a rule.
_MD_LINE_START = frozenset("-+=")
_MD_ORDERED_ITEM = re.compile(r"^(\d+)([.)])(?=\s|$)")  # "1. " or "1) " begins an ordered list
# Streamlit rewrites some text *after* Markdown has resolved the backslash escapes, so escaping
# cannot stop it: ":streamlit:", ":material_…:" and emoji shortcodes become images and icons,
# and GFM turns "http://…", "www.…" and "name@domain.be" into links. A word joiner (U+2060:
# invisible, no line break) at these places breaks each pattern.
_MD_TEXT_PATTERNS = re.compile(
    r"(?<=:)(?=[A-Za-z0-9_+-]+:|material/|//)"  # shortcodes, icons, "scheme://"
    r"|(?<=www)(?=\.)"  # "www.example.be"
    r"|(?<=@)(?=[-A-Za-z0-9_])",  # e-mail addresses
    re.IGNORECASE,
)
WORD_JOINER = "\u2060"
# Line breaks and ASCII blanks; not the no-break spaces French typography puts before « : ; ».
_BLANKS = re.compile(r"[ \t\n\r\f\v\x1c-\x1f\x85\u2028\u2029]+")


def _md_escape_line(line: str) -> str:
    line = _MD_TEXT_PATTERNS.sub(WORD_JOINER, line)
    out = "".join("\\" + c if c in _MD_ALWAYS else c for c in line)
    out = _MD_COLON.sub(r"\\:", out)
    if out[:1] in _MD_LINE_START:
        out = "\\" + out
    return _MD_ORDERED_ITEM.sub(r"\1\\\2", out)


def md_escape(text: object, multiline: bool = False) -> str:
    """``text`` as Markdown that Streamlit shows literally: no bold, link, image, heading, list,
    HTML, colour, icon or maths. The backslashes are Markdown's and never show; the word joiners
    (see ``_MD_TEXT_PATTERNS``) are invisible.

    On one line by default (titles, labels, captions): runs of spaces and line breaks become one
    space. ``multiline`` keeps the lines (as line breaks) and blank lines (as paragraphs), for
    descriptions and comments; indentation is dropped (four spaces would start a code block).
    """
    text = "" if text is None else str(text)
    if not multiline:
        return _md_escape_line(_BLANKS.sub(" ", text).strip(" "))
    paragraphs, lines = [], []
    for raw in text.splitlines():
        line = _BLANKS.sub(" ", raw).strip(" ")
        if line:
            lines.append(_md_escape_line(line))
        elif lines:
            paragraphs.append("  \n".join(lines))
            lines = []
    if lines:
        paragraphs.append("  \n".join(lines))
    return "\n\n".join(paragraphs)


def plotly_escape(text: object) -> str:
    """``text`` for a plotly title, axis label, legend, bar text or hover template, shown
    literally: plotly reads <b>, <br>, <a href=…> and entities in every text, "%{…}" in
    templates and "$…$" as maths. Entities, which plotly decodes, keep the characters."""
    text = "" if text is None else str(text)
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("%", "&#37;").replace("$", "&#36;"))


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """WCAG's contrast ratio of two "#rrggbb" colours (1 to 21)."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def text_colour_on(background: str) -> str:
    """White or near-black, whichever reads better on a label's colour (a user picks it)."""
    return "#ffffff" if contrast_ratio("#ffffff", background) >= contrast_ratio("#1b1b1b", background) else "#1b1b1b"
