"""Pelican's Markdown reader, keeping one ``Markdown`` per reader (issue 10).

Pelican's reader builds a new ``markdown.Markdown`` for every file it reads - every extension
set up again, their patterns compiled and registered - which cost a cold build of 20,000
passports about a millisecond for each of its 40,000 files. This reader builds it once and
``reset()``s it between files, Python-Markdown's own way to reuse an instance (footnotes,
abbreviations, references and the metadata are cleared). The HTML is the same byte for byte
(``tests/test_markdown.py`` reads every sample file after a file that defines footnotes,
abbreviations and references). Registered for Pelican's Markdown extensions through its
``readers_init`` signal (``generator.site``).
"""
from __future__ import annotations

from markdown import Markdown
from pelican.readers import MarkdownReader
from pelican.utils import pelican_open

#: The priority of the ``meta`` preprocessor (Python-Markdown's meta extension, documented):
#: Pelican's metadata parsing takes it out of the instance; it is put back before the next file.
META_PRIORITY = 27


class KeptMarkdownReader(MarkdownReader):
    """:class:`pelican.readers.MarkdownReader` with one ``Markdown``, reset between files."""

    _kept: Markdown | None = None

    def read(self, source_path):  # noqa: ANN001, ANN201 - Pelican's signature
        md = self._kept
        if md is None:
            md = self._kept = Markdown(**self.settings["MARKDOWN"])
            md.is_block_level = block_level_test(md)
            self._meta = md.preprocessors["meta"]
        else:
            md.reset()
            if "meta" not in md.preprocessors:
                md.preprocessors.register(self._meta, "meta", META_PRIORITY)
        self._source_path, self._md = source_path, md
        try:
            with pelican_open(source_path) as text:
                content = md.convert(text)
            metadata = self._parse_metadata(md.Meta) if hasattr(md, "Meta") else {}
        except BaseException:  # reset() does not clear a parser stopped half-way: a new one
            self._kept = None
            raise
        return content, metadata


def block_level_test(md: Markdown):
    """``md.is_block_level`` by one look-up in a dict: the stock test lower-cases and strips
    the tag and looks for it in a list, about 400 times a passport (a tenth of converting it).
    The same answers, for the elements the extensions left in the list when set up."""
    elements = frozenset(md.block_level_elements)
    known: dict = {}

    def is_block_level(tag) -> bool:  # noqa: ANN001 - a tag: a str, or a function for comments
        try:
            return known[tag]
        except KeyError:
            answer = known[tag] = isinstance(tag, str) and tag.lower().rstrip("/") in elements
            return answer
        except TypeError:  # unhashable: no str
            return False
    return is_block_level


def use_kept_reader(readers) -> None:  # noqa: ANN001 - pelican.readers.Readers
    """``readers_init``: read Markdown with :class:`KeptMarkdownReader` where Pelican's own
    reader would (a reader configured in ``READERS`` stays)."""
    for extension, reader in list(readers.reader_classes.items()):
        if reader is MarkdownReader:
            readers.reader_classes[extension] = KeptMarkdownReader
