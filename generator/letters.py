"""Counting a text's letters for the language check (R3, generator.compliance_order).

Counted once per file when the content is read (``generator.content``, cached by the file's
stat with everything else read from it), so a build checks 20,000 documents' languages without
reading their texts again. A regular expression over the exact set of Cyrillic letters keeps
the count in C (it matches runs: a match per letter cost a 20,000-document cold build 5 s);
a character is a Cyrillic letter when ``str.isalpha`` says it is a letter and its Unicode
name says CYRILLIC.
"""
from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

KK_LETTERS = frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
KK_MIN_SHARE = 0.02     # ordinary Kazakh prose has 6-12 %
RU_MAX_SHARE = 0.005
MIN_LETTERS = 40        # shorter texts are not judged
#: The blocks that hold every character named CYRILLIC (Unicode 15).
CYRILLIC_BLOCKS = ((0x0400, 0x052F), (0x1C80, 0x1C8F), (0x1D00, 0x1DBF), (0x2DE0, 0x2DFF),
                   (0xA640, 0xA69F), (0xFE2E, 0xFE2F), (0x1E030, 0x1E08F))


def _runs_of(chars) -> re.Pattern:
    """Runs of one or more of ``chars``: their lengths add up to the count of ``chars``
    (a run per word costs far less than a match object per letter)."""
    return re.compile("[" + "".join(re.escape(c) for c in sorted(chars)) + "]+")


CYRILLIC_LETTERS = frozenset(
    chr(code) for first, last in CYRILLIC_BLOCKS for code in range(first, last + 1)
    if chr(code).isalpha() and "CYRILLIC" in unicodedata.name(chr(code), ""))
_CYRILLIC_RUNS = _runs_of(CYRILLIC_LETTERS)
_KAZAKH = tuple(sorted(KK_LETTERS))


class LetterCounts(NamedTuple):
    letters: int    # every letter, of any script
    cyrillic: int   # Cyrillic letters
    kazakh: int     # of those, the Kazakh-specific ә ғ қ ң ө ұ ү һ і

    @property
    def kazakh_share(self) -> float:
        """The share of Kazakh-specific letters among the Cyrillic letters."""
        return self.kazakh / self.cyrillic if self.cyrillic else 0.0


def letter_counts(text: str) -> LetterCounts:
    return LetterCounts(sum(map(str.isalpha, text)),
                        sum(map(len, _CYRILLIC_RUNS.findall(text))),
                        sum(map(text.count, _KAZAKH)))


def language_verdict(counts: LetterCounts, lang: str) -> tuple[bool, str] | None:
    """R3: whether a ``lang`` text with these letters is in its language, and the share of
    Kazakh letters as the compliance page shows it; None for a text too short to judge. (The
    build's record keys the compliance pages on these verdicts, not on every text's bytes.)"""
    if counts.letters < MIN_LETTERS:
        return None
    share = counts.kazakh_share
    ok = share >= KK_MIN_SHARE if lang == "kk" else (
        share <= RU_MAX_SHARE and counts.cyrillic >= counts.letters / 2)
    return ok, f"{share:.1%}"

