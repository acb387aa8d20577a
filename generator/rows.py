"""Rows of the long lists kept between builds (issue 10).

A document added to 20,000 changes every list of all documents - the discussions table, the
manifest, the calendar - by one row, yet each was made again row by row (an added passport
at 20,000: 13 seconds of rendering, almost all of it rows that came out as before). A list
made through :class:`Rows` takes each document's row from the previous build's when what a
list shows of the document is unchanged (:func:`row_key`), and makes only the others.

The kept rows of an output are a folder of files under the cache (its rows spread over them
by key: a changed row rewrites one), named by the output and the build's global key (code,
templates, catalogs, settings: ``generator.build.global_key``), so a change of any of these
starts from no rows, as a cold build does; a build keeps only the rows it used. An output is
written by one process of a build, so one folder has one writer; a file that cannot be read
is no rows (of its share). The rows are the same text the list would make without them:
the key holds everything a list row reads (tests/test_rows.py).
"""
from __future__ import annotations

import hashlib
import logging
import marshal
import shutil
import zlib
from pathlib import Path
from typing import Callable, TypeVar

from ashyq.files import atomic_write
from generator.press import announced

log = logging.getLogger(__name__)
T = TypeVar("T")

#: The folder under the build's cache of the kept rows.
ROWS_DIR = "rows"


def rows_folder(cache_dir: Path, global_key: str) -> Path:
    """The folder of the rows kept under ``global_key``; those of other keys are removed (a
    change of code or templates leaves their rows of no use). Called once a build, before
    any list is made."""
    root = Path(cache_dir) / ROWS_DIR
    folder = root / hashlib.blake2b(global_key.encode(), digest_size=10).hexdigest()
    if root.is_dir():
        for other in root.iterdir():
            if other != folder:
                shutil.rmtree(other, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def row_key(doc, index) -> str:
    """Everything a list shows of ``doc``: its uid, what lists show of its files (metadata,
    part headings, attachments, dates, status: ``Document.meta_digest``; a generated press
    release's is its passport's, which its words are made from), and its state body's names.
    The language and the list are the file's (:class:`Rows`). Found once a build per
    document (the manifest, the open data's tables, the calendars and the lists ask: 100,000
    times in an add at 20,000 passports)."""
    known = index.memo.get("row keys")
    if known is None:
        known = index.memo["row keys"] = {}
    found = known.get(doc.uid)
    if found is None:
        found = known[doc.uid] = _row_key(doc, index)
    return found


def _row_key(doc, index) -> str:
    if doc.generated:
        source = index.documents.get(announced(doc) or "")
        shown = "generated:" + (source.meta_digest if source is not None else repr(doc.meta))
    else:
        shown = doc.meta_digest or repr(doc.meta)
    bodies = index.memo.get("row keys of state bodies")
    if bodies is None:  # once a build (the administrators do not change during one)
        bodies = index.memo["row keys of state bodies"] = {
            code: hashlib.blake2b(repr((admin.code, sorted(admin.name.items()))).encode(),
                                  digest_size=8).hexdigest()
            for code, admin in index.administrators.items()}
    return f"{doc.uid}\0{shown}\0{bodies.get(doc.administrator or '', '')}"


def check_key(check, index) -> str:
    """Everything a row of compliance checks shows: the check (``generator.compliance.Check``,
    its rule, dates and details) and the page of its document, if the site has it."""
    doc = index.documents.get(check.document or "")
    return f"{check!r}\0{doc.doc_type.section if doc is not None else ''}"


#: How the rows of each kind of item are keyed (``generator.site.listed``).
ROW_KEYS = {"document": row_key, "check": check_key}


#: The kept rows of an output are spread over this many files by their key
#: (:func:`shard_of`): an added passport changes one of them, and only that one is written
#: again (the manifest's were a 46 MB file written whole after every add at 20,000).
SHARDS = 32


def shard_of(key: str) -> int:
    """The file of ``key``'s row (stable between processes, unlike ``hash``)."""
    return zlib.crc32(key.encode("utf-8")) % SHARDS


class Rows:
    """The rows of one output (``name``, e.g. ``kk/discussions/index.html``) in ``folder``
    (:func:`rows_folder`; None: nothing kept, every row made): a folder of :data:`SHARDS`
    files."""

    def __init__(self, folder: Path | None, name: str, binary: bool = False):
        """``binary``: the rows are bytes (``make`` returns them, :meth:`each` joins them), not
        text: a file of 45 MB made of kept rows is neither decoded when read nor encoded
        when written (the manifest, the open data's tables)."""
        self.path = (Path(folder) / (hashlib.blake2b(name.encode(), digest_size=10).hexdigest()
                                     + ".rows") if folder is not None else None)
        self.name = name
        self.binary = binary
        self._kept: dict[str, str | bytes] | None = None
        self._shards: list[dict[str, str | bytes]] | None = None  # the kept rows by file
        self._used: dict[str, str | bytes] = {}
        self.made = 0  # rows made this time (not kept)

    def _load(self) -> dict[str, str]:
        self._shards = [self._load_shard(i) for i in range(SHARDS)]
        kept: dict[str, str] = {}
        for shard in self._shards:
            kept.update(shard)
        return kept

    def _load_shard(self, number: int) -> dict[str, str]:
        if self.path is None:
            return {}
        try:
            kept = marshal.loads((self.path / f"{number:02d}").read_bytes())
            if not isinstance(kept, dict):
                return {}
            row = next(iter(kept.values()), None)  # (rows of the other kind: none kept)
            return kept if row is None or isinstance(row, bytes) == self.binary else {}
        except FileNotFoundError:
            return {}
        except (EOFError, ValueError, TypeError, OSError) as exc:
            log.warning("kept rows of %s not read (%s): made again", self.name, exc)
            return {}

    def each(self, items, key: Callable[[object], str] | list[str],
             make: Callable[[object], str]) -> str:
        """The rows of ``items`` one after another: ``make(item)``, or the row kept for
        ``key(item)`` (or ``key[i]``: the items' keys, found beforehand). Looked up, noted
        and joined by calls in C (20,000 rows a list: a loop in Python was a tenth of a
        second a list), the items without a kept row made one by one."""
        if self._kept is None:
            self._kept = self._load()
        items = items if isinstance(items, list) else list(items)
        names = key if isinstance(key, list) else list(map(key, items))
        rows = list(map(self._kept.get, names))
        if None in rows:
            for i in [i for i, row in enumerate(rows) if row is None]:
                rows[i] = make(items[i]) if self.binary else str(make(items[i]))
                self.made += 1
        self._used.update(zip(names, rows))
        return (b"" if self.binary else "").join(rows)

    def has(self, key: str) -> bool:
        """Whether a row is kept for ``key``."""
        if self._kept is None:
            self._kept = self._load()
        return key in self._kept

    def row(self, key: str, make: Callable[[], str]) -> str:
        """The row of ``key``: kept, or made by ``make()``."""
        if self._kept is None:
            self._kept = self._load()
        text = self._kept.get(key)
        if text is None:
            text = make() if self.binary else str(make())
            self.made += 1
        self._used[key] = text
        return text

    def save(self) -> None:
        """Keep the rows used this time (and only those) for the next build - writing only
        the files whose rows changed - and let them go here: the output that made them is
        written, and its maker stays listed until the build's end (a cold build at 20,000
        held 100 MB of rows in its process beside the render processes). Used again, the
        rows are read again."""
        used, kept, shards = self._used, self._kept, self._shards
        self._used, self._kept, self._shards = {}, None, None
        if self.path is None:
            return
        self.path.mkdir(exist_ok=True)
        if shards is None:  # none read: every file, of the rows used
            parts: dict[int, dict] = {number: {} for number in range(SHARDS)}
            for key, text in used.items():
                parts[shard_of(key)][key] = text
        else:  # the files of the rows gone or made: the others are as read (an add: one)
            gone = kept.keys() - used.keys()
            made = {key: text for key, text in used.items() if kept.get(key) is not text}
            parts = {number: shards[number] for number in {shard_of(key)
                                                           for key in gone | made.keys()}}
            for number, part in parts.items():
                parts[number] = {key: text for key, text in part.items() if key not in gone}
            for key, text in made.items():
                parts[shard_of(key)][key] = text
        for number, part in sorted(parts.items()):
            atomic_write(self.path / f"{number:02d}", marshal.dumps(part))


def with_rows(rows: Rows, make: Callable[[Rows], T]) -> T:
    """``make(rows)``, the rows it used then kept for the next build (:meth:`Rows.save`)."""
    made = make(rows)
    rows.save()
    return made
