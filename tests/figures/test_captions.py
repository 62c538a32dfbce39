"""The header helper: text wrapped to the figure's width by its drawn width, and the space it
reserves above and under the panels holding exactly the drawn title, caption and claim list."""

from __future__ import annotations

import pandas as pd
import pytest

from toy_superposition.figures.common import DPI, captions, figure_style

WORDS = ("superposition needs sparsity; the empirical and theoretical phase diagrams agree with sharp "
         "first-order changes at 1−S = 0.05 and ‖W_i‖ > 0.5, with importance $I_i = 0.9^i$ decaying")


@pytest.fixture(autouse=True)
def style():
    with figure_style():
        yield


@pytest.mark.parametrize("width", [1.5, 3.0, 7.0])
@pytest.mark.parametrize("size", [captions.CAPTION_SIZE, captions.TITLE_SIZE])
def test_wrap_keeps_every_word_in_order_within_the_width(width, size):
    lines = captions.wrap(WORDS, width, size)
    assert len(lines) > 1
    assert " ".join(lines).split() == WORDS.split()
    for line in lines:
        words = captions._words(line)
        assert len(words) == 1 or captions._text_width(line, size) <= width * 1.01, line


def test_wrap_never_splits_mathtext():
    lines = captions.wrap("the importance $I_i = 0.9^i$ here " * 6, 1.2, captions.CAPTION_SIZE)
    assert any("$I_i = 0.9^i$" in line for line in lines)
    assert all(line.count("$") % 2 == 0 for line in lines)


def test_wrap_keeps_paragraphs_and_indents_continuations():
    lines = captions.wrap(f"first: {WORDS}\nsecond", 3.0, captions.CAPTION_SIZE, indent="    ")
    assert lines[0].startswith("first:") and lines[-1] == "second"
    assert all(line.startswith("    ") for line in lines[1:-1])


def test_a_word_longer_than_the_line_stays_whole():
    assert captions.wrap("a " + "x" * 80 + " b", 1.0, captions.CAPTION_SIZE) == ["a", "x" * 80, "b"]


def test_claim_lines_format_each_row():
    claims = pd.DataFrame({"claim": ["dropout helps", "it is strict"], "holds": ["yes", "partly"],
                           "measured": ["+0.1 [0.0, 0.2]", "2 of 3"]})
    assert captions.claim_lines(claims, prefix="Post: ") == ["Post: dropout helps — YES: +0.1 [0.0, 0.2]",
                                                             "Post: it is strict — PARTLY: 2 of 3"]


@pytest.mark.parametrize("caption, claims", [("", None), (f"Paper: {WORDS}\nMeasured: {WORDS}", None),
                                             (WORDS, [WORDS, "short claim"]), ("", [WORDS])])
def test_header_space_holds_exactly_the_drawn_text(caption, claims):
    body = 2.0
    header = captions.Header.of(4.0, f"A title: {WORDS}", caption, claims=claims, heading="Claims:" if claims else "")
    fig = header.figure(body)
    assert fig.get_figheight() == pytest.approx(header.top + body + header.bottom)
    assert (header.bottom > 0) == bool(claims)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = {text.get_gid(): text.get_window_extent(renderer) for text in fig.texts}
    assert set(texts) == {gid for gid, present in zip(captions.GIDS, (True, bool(caption), bool(claims))) if present}
    height, width = fig.get_figheight(), fig.get_figwidth()
    # Where each text must sit (inches from the bottom): the top of the header down to the gap
    # above the panels, and the claim list from under the panels down to the bottom margin.
    above_bottom = height - header.top + captions._GAP
    expected = {"header-title": (height - captions._EDGE, height - captions._EDGE - len(header.title)
                                 * captions.line_height(captions.TITLE_SIZE)),
                "header-caption": (None, above_bottom),
                "header-claims": (header.bottom - captions._EDGE, captions._EDGE)}
    if not caption:
        assert expected["header-title"][1] == pytest.approx(above_bottom)
    for gid, extent in texts.items():
        top, bottom = expected[gid]
        assert extent.y0 == pytest.approx(bottom * DPI, abs=2), gid  # whole pixels
        if top is not None:
            assert extent.y1 == pytest.approx(top * DPI, abs=2), gid
        assert extent.x0 >= captions._MARGIN * DPI - 2 and extent.x1 <= (width - captions._MARGIN) * DPI + 2, gid
    if caption:
        assert texts["header-caption"].y1 <= texts["header-title"].y0  # the caption under the title


def test_rect_maps_body_fractions_between_the_claims_and_the_caption():
    header = captions.Header.of(4.0, "title", "caption", claims=["a claim"])
    fig = header.figure(3.0)
    height = fig.get_figheight()
    left, bottom, width, tall = header.rect(fig, (0.1, 0.0, 0.5, 1.0))
    assert (left, width) == (0.1, 0.5)
    assert bottom * height == pytest.approx(header.bottom)
    assert (bottom + tall) * height == pytest.approx(height - header.top)
