"""A running line width for fpdf2's line breaking.

fpdf2 (2.8.9, the latest release) breaks lines character by character and, for every character,
asks ``CurrentLine.width``, which measures every fragment of the line again from its first
character: a line of n characters costs O(n²) glyph lookups. In the evaluation report (97 fiches,
8 000 lines) that was 40 % of the time (benchmarks/README.md, issue 16). The line breaker already
measures each character it adds (``character_width``); this subclass keeps their running sum,
which is the line's width as long as that width is a plain sum of glyph widths: plain fragments
(not fpdf2's page-count placeholder), no text shaping, no character spacing, no stretching, no
non-breaking space (drawn as a space) and no trimming.
In any of those cases it forgets the sum and asks fpdf2 for the rest of the line, as before.

``install()`` puts it in place of fpdf2's class; tests/test_report.py checks that the report is
byte for byte the one fpdf2 writes without it.
"""

from __future__ import annotations

import fpdf
from fpdf import line_break

FPDF2_VERSION = "2.8.9"  # the version whose CurrentLine this follows (requirements.txt pins it)
ORIGINAL = line_break.CurrentLine


class RunningWidthLine(line_break.CurrentLine):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._running: float | None = 0.0  # None: not a plain sum any more, ask fpdf2
        self._plain_fragments = 0  # fragments already checked for shaping, spacing, stretching

    @property
    def width(self) -> float:
        if self._running is None:
            return super().width
        return self._running

    def add_character(self, character, character_width, original_fragment, *args, **kwargs) -> None:
        super().add_character(character, character_width, original_fragment, *args, **kwargs)
        if self._running is None:
            return
        if len(self.fragments) != self._plain_fragments:  # a new fragment (a new style)
            fragment = self.fragments[-1]
            if (type(fragment) is not line_break.Fragment  # e.g. fpdf2's « {nb} » placeholder
                    or fragment.text_shaping_parameters or fragment.char_spacing != 0
                    or fragment.font_stretching != 100):
                self._running = None
                return
            self._plain_fragments = len(self.fragments)
        if character == line_break.NBSP:
            self._running = None
        elif character != line_break.SOFT_HYPHEN or self.print_sh:  # a soft hyphen is not added
            self._running += character_width

    def trim_trailing_spaces(self) -> None:
        self._running = None
        super().trim_trailing_spaces()

    def _apply_automatic_hint(self, break_hint) -> None:
        self._running = None
        super()._apply_automatic_hint(break_hint)


def install() -> bool:
    """Use the running width from now on in this process; False (and fpdf2's own, slower,
    measure) on another fpdf2 version than the one this was checked against."""
    if fpdf.__version__ != FPDF2_VERSION:
        return False
    line_break.CurrentLine = RunningWidthLine
    return True


def uninstall() -> None:
    line_break.CurrentLine = ORIGINAL

