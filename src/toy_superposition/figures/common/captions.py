"""Every figure's header: a title and a caption (the paper's claim, the measured value) above the
panels, and, for figures whose caption is a list of claims, that list under the panels, left
aligned. Text is word-wrapped to the figure's width by its measured width in the figure's font,
so the space it needs is known before the figure is made and the panels go in the rest.

Usage::

    header = captions.Header.of(width, title, caption)   # or claims=[...]: a list under the panels
    fig = header.figure(body)          # body: inches for the panels; draws title and caption
    height = fig.get_figheight()       # = header.top + body + header.bottom
    # panels between header.bottom and height − header.top (inches from the bottom),
    # or header.rect(fig, rect) for a rect given in fractions of that body

All sizes are inches.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pandas as pd
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from . import DPI, new_figure

TITLE_SIZE = 9.0  # points
CAPTION_SIZE = 7.0
_LINESPACING = 1.35
_MARGIN = 0.3  # inches between text and the figure's left and right edges
_EDGE = 0.08  # inches above the title and below the claim list
_TITLE_GAP = 0.07  # inches between the title and the caption
_GAP = 0.12  # inches between the caption and the panels below it
_INDENT = "    "  # continuation lines of a claim
_FONT = "DejaVu Sans"  # the figures' font (figure_style)
#: ids of the title, caption and claim-list texts (in the SVG too), so tests can find them.
GIDS = ("header-title", "header-caption", "header-claims")


def line_height(size: float) -> float:
    """Inches per line of text at ``size`` points: matplotlib spaces lines by the height of "lp"
    (one em in DejaVu Sans) times the line spacing."""
    return size * _LINESPACING / 72


@functools.cache
def _renderer() -> RendererAgg:
    return RendererAgg(1, 1, DPI)


@functools.lru_cache(maxsize=8192)
def _text_width(text: str, size: float) -> float:
    """Inches ``text`` takes at ``size`` points in the PNG (hinted glyphs at DPI, a little wider than
    the SVG's outlines); mathtext between paired ``$`` is measured as drawn."""
    ismath = text.count("$") >= 2 and text.count("$") % 2 == 0
    width, _, _ = _renderer().get_text_width_height_descent(text, FontProperties(family=_FONT, size=size), ismath)
    return width / DPI


def _words(paragraph: str) -> list[str]:
    """``paragraph`` split at spaces, never inside ``$...$`` (a broken mathtext span would print raw)."""
    words, current, math = [], "", False
    for char in paragraph:
        if char == "$":
            math = not math
        if char == " " and not math:
            if current:
                words.append(current)
            current = ""
        else:
            current += char
    return words + ([current] if current else [])


def wrap(text: str, width: float, size: float, indent: str = "") -> list[str]:
    """``text`` (paragraphs separated by newlines) as lines at most ``width`` inches wide at ``size`` pt;
    a word longer than a line stays whole. Continuation lines of a paragraph start with ``indent``."""
    space = _text_width("a a", size) - _text_width("aa", size)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for word in _words(paragraph):
            extent = _text_width(word, size)
            if line and used + space + extent > width:
                lines.append(line)
                line = indent + word
                used = _text_width(line, size)
            else:
                used += (space if line else 0.0) + extent
                line = f"{line} {word}" if line else word
        lines.append(line)
    return lines


def claim_lines(claims: pd.DataFrame, prefix: str = "") -> list[str]:
    """One caption item per claim row (columns ``claim``, ``holds``, ``measured``):
    "<prefix><claim> — <HOLDS>: <measured>"."""
    return [f"{prefix}{row.claim} — {row.holds.upper()}: {row.measured}" for row in claims.itertuples()]


@dataclass(frozen=True)
class Header:
    """The wrapped text around the panels of a figure ``width`` inches wide: ``title`` and ``caption``
    lines (centred, above) and ``claims`` lines (left aligned, below; the first is their heading)."""

    width: float
    title: tuple[str, ...]
    caption: tuple[str, ...] = ()
    claims: tuple[str, ...] = ()

    @classmethod
    def of(cls, width: float, title: str, caption: str = "", claims: list[str] | None = None,
           heading: str = "") -> Header:
        """The header of a figure ``width`` inches wide: ``caption`` paragraphs (newline-separated) under
        ``title``; ``claims``, one item each, under the panels after ``heading``."""
        text = width - 2 * _MARGIN
        listed = [heading] if heading else []
        for claim in claims or []:
            listed += wrap(claim, text, CAPTION_SIZE, indent=_INDENT)
        return cls(width=width, title=tuple(wrap(title, text, TITLE_SIZE)),
                   caption=tuple(wrap(caption, text, CAPTION_SIZE)) if caption else (),
                   claims=tuple(listed))

    @property
    def top(self) -> float:
        """Inches above the panels: margin, title, caption and the gap to the panels."""
        caption = _TITLE_GAP + line_height(CAPTION_SIZE) * len(self.caption) if self.caption else 0.0
        return _EDGE + line_height(TITLE_SIZE) * len(self.title) + caption + _GAP

    @property
    def bottom(self) -> float:
        """Inches under the panels: the claim list and its margin (0 without one)."""
        return line_height(CAPTION_SIZE) * len(self.claims) + 2 * _EDGE if self.claims else 0.0

    def figure(self, body: float) -> Figure:
        """A new figure with ``body`` inches of height for the panels, its header drawn."""
        fig = new_figure(self.width, self.top + body + self.bottom)
        height = fig.get_figheight()
        fig.suptitle("\n".join(self.title), y=1 - _EDGE / height, va="top", fontsize=TITLE_SIZE,
                     linespacing=_LINESPACING, gid=GIDS[0])
        if self.caption:
            y = 1 - (_EDGE + line_height(TITLE_SIZE) * len(self.title) + _TITLE_GAP) / height
            fig.text(0.5, y, "\n".join(self.caption), ha="center", va="top", fontsize=CAPTION_SIZE, color="0.2",
                     linespacing=_LINESPACING, gid=GIDS[1])
        if self.claims:
            fig.text(_MARGIN / self.width, (self.bottom - _EDGE) / height, "\n".join(self.claims), ha="left",
                     va="top", fontsize=CAPTION_SIZE, linespacing=_LINESPACING, gid=GIDS[2])
        return fig

    def y(self, fig: Figure, fraction: float) -> float:
        """A height given as a ``fraction`` of the body (the figure between the claim list and the
        caption) as a fraction of the whole figure."""
        height = fig.get_figheight()
        return (self.bottom + fraction * (height - self.top - self.bottom)) / height

    def rect(self, fig: Figure, rect: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        """``rect`` = (left, bottom, width, height) in fractions of the body, as fractions of the
        whole figure (for ``fig.add_axes``)."""
        left, bottom, width, tall = rect
        return (left, self.y(fig, bottom), width, self.y(fig, bottom + tall) - self.y(fig, bottom))
