"""Every claim quotes the sentence it tests, verbatim, under the section its source names,
and says where its threshold comes from.

The source texts are the project's documents (not shipped with the package). They are looked
up in ``$TOY_SUPERPOSITION_SOURCES``, then ``shared/seeds`` in the checkout, then
``/work/shared/seeds``; where none is found the quote test is skipped (in CI, with ``CI``
set, it fails instead). Files are recognised by their number, as the sources' README lists
them: 000 the dropout post, 001 the paper's privileged-basis section, 002 the reading notes
on the post, 003 the paper, 004 reading notes on the paper.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from toy_superposition import claims
from toy_superposition.claims import sources
from toy_superposition.claims.registry import THRESHOLD_SOURCES

ROOT = Path(__file__).resolve().parents[2]
CANDIDATES = [os.environ.get("TOY_SUPERPOSITION_SOURCES", ""), ROOT / "shared" / "seeds", "/work/shared/seeds"]

#: The paper's headings (its own lines), outermost and innermost alike; text before the first is the introduction.
PAPER_HEADINGS = (
    "Key Results From Our Toy Models", "Definitions and Motivation: Features, Directions, and Superposition",
    "Empirical Phenomena", "What are Features?", "Features as Directions", "Privileged vs Non-privileged Bases",
    "The Superposition Hypothesis", "Summary: A Hierarchy of Feature Properties", "Demonstrating Superposition",
    "Experiment Setup", "The Feature Vector (x)", "The Model (x \\to x')", "Why these models?", "The Loss",
    "Basic Results", "Mathematical Understanding", "Superposition as a Phase Change", "The Geometry of Superposition",
    "Uniform Superposition", "Feature Dimensionality", "Why these geometric structures?",
    "Aside: Polytopes and Low-Rank Matrices", "Non-Uniform Superposition", "Perturbing a Single Feature",
    "Correlated and Anticorrelated Features", "Setup for Exploring Correlated and Anticorrelated Features",
    "Organization of Correlated and Anticorrelated Features", "Local Almost-Orthogonal Bases",
    "Collapsing of Correlated Features", "Superposition and Learning Dynamics",
    'Phenomenon 1: Discrete "Energy Level" Jumps', "Phenomenon 2: Learning as Geometric Transformations",
    "Relationship to Adversarial Robustness", "Superposition in a Privileged Basis",
    "Visualizing Superposition in Terms of Neurons", "Limitations of The ReLU Hidden Layer Toy Model Simulating Identity",
    "Computation in Superposition", "Superposition vs Sparsity", "The Asymmetric Superposition Motif",
    "The Strategic Picture of Superposition", 'Safety, Interpretability, & "Solving Superposition"', "Three Ways Out",
    "Approach 1: Creating Models Without Superposition", "Approach 2: Finding an Overcomplete Basis",
    "Approach 3: Hybrid Approaches", "Additional Considerations", "Discussion", "Open Questions", "Related Work",
    "Comments & Replications", "Replication & Forthcoming Paper", "Replication & Further Results",
)
#: Per file number: the document, the heading of its text before any heading, and its headings (line → section).
DOCUMENTS = {
    "003": (sources.PAPER, "Introduction", {h: h for h in PAPER_HEADINGS}),
    "001": (sources.PAPER, "Superposition in a Privileged Basis", {"Superposition in a Privileged Basis":
                                                                    "Superposition in a Privileged Basis"}),
    "000": (sources.POST, "orientation of the basis", {"Dropout and Superposition.": "Dropout and Superposition",
                                                       "New Comment": "comments"}),
    "002": (sources.NOTES, sources.NOTES, {}),
}


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def source_dir() -> Path | None:
    for candidate in CANDIDATES:
        if candidate and Path(candidate).is_dir() and any(Path(candidate).glob("003_*.txt")):
            return Path(candidate)
    return None


def sections(directory: Path) -> list[tuple[str, str, str]]:
    """(document, section, normalised text) of every section of every known source file."""
    result = []
    for number, (document, first, headings) in DOCUMENTS.items():
        (path,) = directory.glob(f"{number}_*.txt")
        section, lines = first, []
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() in headings:
                result.append((document, section, normalise("\n".join(lines))))
                section, lines = headings[line.strip()], []
            else:
                lines.append(line)
        result.append((document, section, normalise("\n".join(lines))))
    return result


@pytest.fixture(scope="module")
def texts() -> list[tuple[str, str, str]]:
    directory = source_dir()
    if directory is None:
        if os.environ.get("CI"):
            pytest.fail("CI must check the claims' quotes: set TOY_SUPERPOSITION_SOURCES to the source texts' folder")
        pytest.skip("the source texts are not here (set TOY_SUPERPOSITION_SOURCES)")
    return sections(directory)


@pytest.mark.parametrize("claim_id", sorted(claims.CLAIMS))
def test_quote_is_verbatim_under_the_section_its_source_names(texts, claim_id):
    item = claims.CLAIMS[claim_id]
    quote = normalise(item.quote)
    assert quote, f"{claim_id}: no quote"
    found = [(document, section) for document, section, text in texts if quote in text]
    assert found, f"{claim_id}: the quote is not verbatim in any source text: {item.quote!r}"
    innermost = item.source.split(sources.SEPARATOR)[-1]
    assert any(item.source.startswith(document) and (section == innermost or document == section == item.source)
               for document, section in found), (
        f"{claim_id}: source {item.source!r} does not name where the quote stands: {found}")


@pytest.mark.parametrize("claim_id", sorted(claims.CLAIMS))
def test_threshold_source_is_valid_and_a_choice_says_why(claim_id):
    item = claims.CLAIMS[claim_id]
    assert item.threshold_source in THRESHOLD_SOURCES, claim_id
    if item.threshold_source == "choice":
        assert item.threshold_reason.strip(), f"{claim_id}: a chosen threshold needs its reason"


def test_the_quote_check_finds_a_misquote_and_a_wrong_section(tmp_path):
    """The checks above can fail: a reworded sentence is not found, and a real one under another heading is."""
    directory = source_dir()
    if directory is None:
        pytest.skip("the source texts are not here")
    texts = sections(directory)
    sticky = normalise('Surprisingly, we find that this graph is "sticky" at 1 and 1/2.')
    assert [s for d, s, t in texts if sticky in t] == ["Uniform Superposition"]
    assert not [s for d, s, t in texts if normalise("we find that this graph is sticky at 1 and 1/2") in t]


@pytest.mark.parametrize("bad", [dict(quote=""), dict(threshold_source="gut feeling"),
                                 dict(threshold_source="choice", threshold_reason="")])
def test_registering_a_claim_without_quote_or_source_of_threshold_is_refused(bad):
    arguments = dict(id="a-test-claim-never-registered", figure="intro-5-in-2", source=sources.PAPER, statement="s",
                     quantity="q", threshold="t", quote="q", threshold_source="text", threshold_reason="")
    with pytest.raises(ValueError):
        claims.claim(**(arguments | bad))(lambda config: None)
    assert "a-test-claim-never-registered" not in claims.CLAIMS
