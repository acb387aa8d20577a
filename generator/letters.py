"""Counting a text's letters for the language check (R3, generator.compliance_order).

Counted once per file when the content is read (``generator.content``, cached by the file's
stat with everything else read from it), so a build checks 20,000 documents' languages without
reading their texts again. Regular expressions over the exact set of Cyrillic letters keep the
count in C: a character is a Cyrillic letter when ``str.isalpha`` says it is a letter and its
Unicode name says CYRILLIC.
"""
from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

KK_LETTERS = frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
#: The blocks that hold every character named CYRILLIC (Unicode 15).
CYRILLIC_BLOCKS = ((0x0400, 0x052F), (0x1C80, 0x1C8F), (0x1D00, 0x1DBF), (0x2DE0, 0x2DFF),
                   (0xA640, 0xA69F), (0xFE2E, 0xFE2F), (0x1E030, 0x1E08F))


def _char_class(chars) -> re.Pattern:
    return re.compile("[" + "".join(re.escape(c) for c in sorted(chars)) + "]")


CYRILLIC_LETTERS = frozenset(
    chr(code) for first, last in CYRILLIC_BLOCKS for code in range(first, last + 1)
    if chr(code).isalpha() and "CYRILLIC" in unicodedata.name(chr(code), ""))
_CYRILLIC = _char_class(CYRILLIC_LETTERS)
_KAZAKH = _char_class(KK_LETTERS)


class LetterCounts(NamedTuple):
    letters: int    # every letter, of any script
    cyrillic: int   # Cyrillic letters
    kazakh: int     # of those, the Kazakh-specific ә ғ қ ң ө ұ ү һ і

    @property
    def kazakh_share(self) -> float:
        """The share of Kazakh-specific letters among the Cyrillic letters."""
        return self.kazakh / self.cyrillic if self.cyrillic else 0.0


def letter_counts(text: str) -> LetterCounts:
    return LetterCounts(sum(map(str.isalpha, text)), len(_CYRILLIC.findall(text)),
                        len(_KAZAKH.findall(text)))
