"""A figure header: a one-line title and a caption (the paper's claim, the measured value),
word-wrapped to the figure's width, with the height it needs known before the figure is made.

Usage::

    lines = caption_lines(caption, width)          # wrap first
    height = body + header_height(lines)           # inches
    fig = new_figure(width, height)
    draw_header(fig, title, lines)
    top = 1 - header_height(lines) / height         # axes go below this
"""

from __future__ import annotations

import textwrap

from matplotlib.figure import Figure

TITLE_SIZE = 9.0
CAPTION_SIZE = 7.0
_TITLE_BAND = 0.34  # inches: margin + title line
_LINE = 0.155  # inches per caption line at CAPTION_SIZE
_GAP = 0.12  # inches between caption and the panels below
_CHARS_PER_INCH = 17.0  # DejaVu Sans at 7 pt, with some slack


def caption_lines(text: str, width: float) -> list[str]:
    """``text`` (paragraphs separated by newlines) wrapped to a figure ``width`` inches wide."""
    chars = max(40, int((width - 0.3) * _CHARS_PER_INCH))
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines += textwrap.wrap(paragraph, chars) or [""]
    return lines


def header_height(lines: list[str]) -> float:
    """Inches taken by the title and ``lines`` of caption."""
    return _TITLE_BAND + _LINE * len(lines) + _GAP


def draw_header(fig: Figure, title: str, lines: list[str]) -> None:
    height = fig.get_figheight()
    fig.suptitle(title, y=1 - 0.08 / height, va="top", fontsize=TITLE_SIZE)
    fig.text(0.5, 1 - _TITLE_BAND / height, "\n".join(lines), ha="center", va="top", fontsize=CAPTION_SIZE,
             color="0.2", linespacing=1.35)
