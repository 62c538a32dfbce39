"""Where a claim's sentence comes from: the source texts and their sections.

A claim's ``source`` names the document and the section path of the sentence it quotes,
innermost section last, e.g. ``paper(UNIFORM, "Feature Dimensionality")`` →
"Toy Models of Superposition › The Geometry of Superposition › Uniform Superposition ›
Feature Dimensionality". The section names are the texts' own headings
(``tests/claims/test_quotes.py`` checks that the innermost one is the heading the quote
stands under).

The texts (the project's source documents, not shipped with the package):

* ``PAPER`` — "Toy Models of Superposition" (Elhage et al., 2022), comments included;
* ``POST`` — "Superposition and Dropout" (LessWrong); its body before the heading
  "Dropout and Superposition." has no heading of its own and is cited as the post's
  orientation part; ``POST_COMMENTS`` are the comments under it;
* ``NOTES`` — reading notes on the post.
"""

from __future__ import annotations

PAPER = "Toy Models of Superposition"
POST = "Superposition and Dropout (post)"
POST_COMMENTS = "Superposition and Dropout (post) › comments"
NOTES = "Reading notes on Superposition and Dropout"

#: The post's first part (no heading in the text): the orientation of the basis.
POST_ORIENTATION = f"{POST} › orientation of the basis"
#: The post's second part, under its heading "Dropout and Superposition."
POST_SUPERPOSITION = f"{POST} › Dropout and Superposition"

SEPARATOR = " › "


def paper(*sections: str) -> str:
    """The paper and a section path, outermost first."""
    return SEPARATOR.join((PAPER, *sections))
