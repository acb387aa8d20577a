"""Python-Markdown's inline pass, without trying patterns on text none of them can match.

Python-Markdown tries each of its inline patterns (about fifteen with "extra") on every text
and tail of the tree, one regular-expression search each - more than half the time a passport
takes to render, though most of a passport's text is plain words and numbers with no markup
character at all. Each of those patterns needs one character literally (``*`` or ``_`` for
emphasis, ``[`` for links, ``<`` for raw HTML, …) - or for a hard line break two spaces before a
newline - so a text with none of them comes out of the pass unchanged. This processor returns
such a text at once and hands every other text to the stock pass, so the HTML is the same byte
for byte (``tests/test_markdown.py`` compares both on every sample file).

A pattern this module does not know (a newer Python-Markdown, another extension) switches the
shortcut off: every text then goes through the stock pass.
"""
from __future__ import annotations

import logging
import re

from markdown import Extension, util
from markdown.treeprocessors import InlineProcessor

log = logging.getLogger(__name__)

#: Every inline pattern of Python-Markdown 3.x with "extra", and what it cannot match without:
#: each pattern's expression holds one of these literally.
NEEDS = {
    "backtick": "`\\", "escape": "\\", "footnote": "[", "reference": "[", "link": "[",
    "image_link": "[", "image_reference": "[", "short_reference": "[",
    "short_image_ref": "[", "autolink": "<", "automail": "<", "linebreak": "  \n",
    "html": "<", "entity": "&", "em_strong": "*_", "em_strong2": "_", "not_strong": "*_",
}


def may_match(pattern_names: list[str]) -> re.Pattern | None:
    """What a text must hold for one of ``pattern_names`` to match (``None``: unknown
    patterns, no shortcut)."""
    unknown = [name for name in pattern_names if name not in NEEDS]
    if unknown:
        log.info("inline patterns %s unknown: every text goes through all patterns", unknown)
        return None
    chars = {c for name in pattern_names for c in NEEDS[name] if name != "linebreak"}
    alternatives = ["[" + re.escape("".join(sorted(chars))) + "]"] if chars else []
    if "linebreak" in pattern_names:
        alternatives.append(re.escape(NEEDS["linebreak"]))
    return re.compile("|".join(alternatives)) if alternatives else re.compile(r"(?!)")


class QuickInlineProcessor(InlineProcessor):
    """The stock inline pass; a text no pattern can match is returned as it is."""

    _may_match: re.Pattern | None | bool = False  # False: not looked at yet
    _needs: list[tuple[str, ...]] = []  # by the patterns' order: what each needs literally

    def run(self, tree, ancestors=None):  # noqa: ANN001 - Python-Markdown's signature
        if self._may_match is False:  # the registry is complete once a conversion runs
            self.inlinePatterns._sort()  # the order the patterns are tried in (by index)
            names = [item.name for item in self.inlinePatterns._priority]
            self._may_match = may_match(names)
            if self._may_match is not None:
                self._needs = [(NEEDS[name],) if name == "linebreak" else tuple(NEEDS[name])
                               for name in names]
        return super().run(tree, ancestors)

    # The stock method is private (name-mangled); this is the name it is called by.
    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:  # noqa: N802, N803
        """The stock loop over the patterns, passing over each pattern whose literal is not
        in the text: its search would find no match (a match puts only a placeholder of
        letters and digits in the text, so no literal appears later)."""
        if self._may_match and self._may_match.search(data) is None:
            return data
        if not self._may_match or isinstance(data, util.AtomicString):
            return super()._InlineProcessor__handleInline(data, patternIndex)
        needs, apply = self._needs, self._InlineProcessor__applyPattern
        start, count = 0, len(needs)
        while patternIndex < count:
            if not any(need in data for need in needs[patternIndex]):
                patternIndex, start = patternIndex + 1, 0
                continue
            data, matched, start = apply(self.inlinePatterns[patternIndex], data, patternIndex,
                                         start)
            if not matched:
                patternIndex += 1
        return data


class QuickInlineExtension(Extension):
    """``generator.mdinline:QuickInlineExtension`` in Pelican's MARKDOWN settings."""

    def extendMarkdown(self, md) -> None:  # noqa: N802 - Python-Markdown's API
        md.treeprocessors.register(QuickInlineProcessor(md), "inline", 20)  # in its place


def makeExtension(**kwargs) -> QuickInlineExtension:  # noqa: N802 - Python-Markdown's API
    return QuickInlineExtension(**kwargs)
