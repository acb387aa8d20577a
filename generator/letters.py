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


#: ASCII characters that are no letters, to delete (``str.translate``).
_ASCII_NON_LETTERS = {code: None for code in range(128) if not chr(code).isalpha()}


def letter_counts(text: str) -> LetterCounts:
    """The letters of ``text`` (``str.isalpha``), its Cyrillic and its Kazakh letters. Counted
    in C: the Cyrillic letters are deleted, then the ASCII characters that are no letters;
    what is left is ASCII letters, or else asked one by one (a Latin accent, a CJK name).
    Asking every character cost 93 µs of a passport file's 126 (5 s of a cold build at
    20,000 documents: 40,000 files)."""
    rest = _CYRILLIC_RUNS.sub("", text)
    cyrillic = len(text) - len(rest)
    rest = rest.translate(_ASCII_NON_LETTERS)
    others = len(rest) if rest.isascii() else sum(map(str.isalpha, rest))
    return LetterCounts(cyrillic + others, cyrillic, sum(map(text.count, _KAZAKH)))


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

