"""What reading the content tree found last time, so a rebuild reads only what changed.

Two tables, kept in the build cache as :data:`SHARDS` pickles by a hash of the key
(``<cache>/content/NN.pickle``; only the shards whose entries changed are written again):

* per file, keyed by its path and ``(mtime_ns, size, inode)``: the metadata block, the ``##``
  part headings and a hash of the bytes;
* per document, keyed by its files' keys, its ``files/`` folder, the state bodies' codes, the
  working-day calendar and the day: what validation computed (posting day, discussion end,
  status, parts, attachments) and the hashes the dependency record uses.

Only documents without problems are kept, so a cached document needs no checking again. The
cache is dropped whole when the code that reads content changes.
"""
from __future__ import annotations

import gc
import hashlib
import os
import pickle
import zlib
from pathlib import Path
from typing import Any, Callable

from ashyq.files import atomic_write

VERSION = 1
#: The cache is kept in this many pickles (by a hash of the path or uid): a build writes
#: again only those whose entries changed.
SHARDS = 32
#: From this many files to read, :meth:`ContentCache.read_beforehand` shares them between
#: processes (a cold build of 20,000 passports read 40,000 files on one core).
READ_APART_FROM = 2000
_ROOT = Path(__file__).resolve().parent.parent
#: The code whose results are cached: a change to it empties the cache.
_READERS = ("generator/content.py", "generator/content_file.py", "generator/content_cache.py",
            "generator/letters.py", "ashyq/doctypes.py", "ashyq/workdays.py")


def _salt() -> str:
    h = hashlib.blake2b(digest_size=12)
    for name in _READERS:
        h.update((_ROOT / name).read_bytes())
    return f"{VERSION}:{h.hexdigest()}"


def stat_key(path: str) -> tuple[int, int, int] | None:
    try:
        return key_of(os.stat(path))
    except FileNotFoundError:
        return None


def key_of(st: os.stat_result) -> tuple[int, int, int]:
    """What says a file is unchanged without reading it: its mtime, size and inode."""
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class TreeScan:
    """The stat keys of every file under ``root`` (by path; nothing read), taken once: the
    quick key hashes them (:meth:`digest`) and reading the content trusts them, so the tree
    is walked and each file stat'ed once per build (two walks of 20,000 folders were two
    seconds of an edit)."""

    def __init__(self, root: str | Path, share: tuple[int, int] = (0, 1)):
        """``share``: ``(number, of)``: of the folders two levels down (a document's) walk
        only those whose name falls to ``number`` (by CRC-32), and the files above them
        only if ``number`` is 0 - the tree walked by ``of`` processes side by side (mostly
        the system's time: 20,000 folders after a cold build had pushed them out of its
        caches, 1.3 s), their scans then :meth:`joined`."""
        self.root = str(root)
        self.files: dict[str, tuple[int, int, int]] = {}
        self.links: set[str] = set()  # links not to a file (to a folder: not walked into)
        self._folders: dict[str, list] | None = None
        number, of = share
        stack = [(self.root, 0)]
        while stack:
            folder, depth = stack.pop()
            try:
                with os.scandir(folder) as found:
                    for entry in found:
                        try:
                            if entry.is_dir(follow_symlinks=False):
                                if depth != 1 or of == 1 or shard_of(entry.name, of) == number:
                                    stack.append((entry.path, depth + 1))
                            elif depth < 2 and number != 0:
                                continue  # (share 0's)
                            elif entry.is_file():
                                self.files[entry.path] = key_of(entry.stat())
                            elif entry.is_symlink():
                                self.links.add(entry.path)
                        except FileNotFoundError:  # gone meanwhile, or a broken link
                            continue
            except (FileNotFoundError, NotADirectoryError):
                continue

    @staticmethod
    def joined(shares: list["TreeScan"]) -> "TreeScan":
        """One scan of the tree from the scans of its shares (each of one ``share``)."""
        scan = shares[0]
        for other in shares[1:]:
            scan.files.update(other.files)
            scan.links |= other.links
        return scan

    def digest(self) -> str:
        """A hash of the names and stat keys: equal when no file was added, removed, replaced
        or written since (the trust :meth:`ContentCache.file` puts in the same keys)."""
        h = hashlib.blake2b(digest_size=12)
        for path in sorted(self.files):
            h.update(f"{path}\0{self.files[path]}\n".encode("utf-8", "surrogateescape"))
        return h.hexdigest()

    def markdown_files(self) -> dict[str, tuple]:
        """Every ``*.md`` file and its stat key, in path order (as ``Path`` objects sort: by
        component; a separator read as NUL, below every character a name has, orders the
        strings alike without splitting 40,000 of them into lists)."""
        return {p: self.files[p] for p in sorted((p for p in self.files if p.endswith(".md")),
                                                 key=lambda p: p.replace(os.sep, "\0"))}

    def folder(self, path: str) -> tuple:
        """The names and stat keys of the files in ``path`` (a document's attachments)."""
        if self._folders is None:
            self._folders = {}
            for name, key in self.files.items():
                parent, _, base = name.rpartition(os.sep)
                self._folders.setdefault(parent, []).append((base, key))
        if path in self.links:  # not walked into: read it (the others were, or are not
            return folder_key(path)  # there: 20,000 system calls less at 20,000 documents)
        return tuple(sorted(self._folders.get(path, ())))


def folder_key(path: str) -> tuple:
    """The names and stat keys of the files in the folder ``path``, or () if none."""
    try:
        with os.scandir(path) as entries:
            return tuple(sorted((e.name, stat_key(e.path)) for e in entries if e.is_file()))
    except OSError:
        return ()


def tree_stats(root: str | Path) -> str:
    """A hash of the names and stat keys of every file under ``root`` (:class:`TreeScan`)."""
    return TreeScan(root).digest()


class ContentCache:
    """The two tables; :meth:`save` keeps only the entries this build used."""

    def __init__(self, path: Path | None = None):
        """``path``: the cache's folder (one pickle per shard), or None (nothing kept)."""
        self.path = Path(path) if path else None
        self.salt = _salt()
        self.files: dict[str, tuple] = {}
        self.docs: dict[str, tuple] = {}
        self.used_files: dict[str, tuple] = {}
        self.used_docs: dict[str, tuple] = {}
        self._loaded: dict[int, tuple[int, int]] = {}  # shard -> its numbers of entries
        self._read: dict[str, tuple] = {}  # read beforehand, not yet asked for
        if self.path and self.path.is_dir():
            enabled = gc.isenabled()
            gc.disable()  # a collection per thousand new objects would double the time
            try:
                for shard in range(SHARDS):
                    self._load(shard)
            finally:
                if enabled:
                    gc.enable()

    def _file_of(self, shard: int) -> Path:
        return self.path / f"{shard:02d}.pickle"

    def _load(self, shard: int) -> None:
        try:
            data = pickle.loads(self._file_of(shard).read_bytes())
        except Exception:  # noqa: BLE001 - a missing or damaged shard is only slower
            return
        if isinstance(data, dict) and data.get("salt") == self.salt:
            self.files.update(data["files"])
            self.docs.update(data["docs"])
            self._loaded[shard] = (len(data["files"]), len(data["docs"]))

    def file(self, path: str, parse, key: tuple | None = None) -> tuple:
        """``parse(data: bytes)`` of the file at ``path``, or its cached result; ``key``: its
        stat key if known (a :class:`TreeScan`'s)."""
        key = key or stat_key(path)
        hit = self.files.get(path)
        if hit is not None and hit[0] == key:
            self.used_files[path] = hit
            return hit[1]
        ready = self._read.pop(path, None)
        if ready is not None and ready[0] == key:
            value = ready[1]
        else:
            value = parse(Path(path).read_bytes())
        self.used_files[path] = (key, value)
        return value

    def read_beforehand(self, files: dict[str, tuple], parse: Callable[[bytes], Any],
                        workers: int) -> None:
        """Parse the ``files`` (path: stat key) that :meth:`file` will not find, on
        ``workers`` processes: forked children take shares of them, this process one. Does
        nothing for fewer than READ_APART_FROM, or where another thread runs (a fork is
        safe only without)."""
        from generator.apart import forking_is_safe, start_apart

        missing = [path for path, key in files.items()
                   if (hit := self.files.get(path)) is None or hit[0] != key]
        if workers < 2 or len(missing) < READ_APART_FROM or not forking_is_safe():
            return
        shares = [missing[i::workers] for i in range(workers)]
        children = [start_apart(_parse_files, share, parse) for share in shares[1:]]
        try:
            self._read.update((path, (files[path], value))
                              for path, value in _parse_files(shares[0], parse))
            while children:
                self._read.update((path, (files[path], value))
                                  for path, value in children[0].result())
                children.pop(0)
        finally:  # failed (a file gone meanwhile): the others' answers are not wanted
            for child in children:
                child.cancel()

    def document(self, uid: str, key: tuple):
        hit = self.docs.get(uid)
        if hit is not None and hit[0] == key:
            self.used_docs[uid] = hit
            return hit[1]
        return None

    def keep_document(self, uid: str, key: tuple, value) -> None:
        self.used_docs[uid] = (key, value)

    def save(self) -> None:
        """Keep the entries this build used; only the shards whose entries changed are
        written again (an edit rewrites two or three of them, not 60,000 entries)."""
        if not self.path:
            return
        files: list[dict] = [{} for _ in range(SHARDS)]
        docs: list[dict] = [{} for _ in range(SHARDS)]
        for name, entry in self.used_files.items():
            files[shard_of(name)][name] = entry
        for uid, entry in self.used_docs.items():
            docs[shard_of(uid)][uid] = entry
        self.path.mkdir(parents=True, exist_ok=True)
        for shard in range(SHARDS):
            same = self._loaded.get(shard) == (len(files[shard]), len(docs[shard])) and all(
                self.files.get(k) is v for k, v in files[shard].items()) and all(
                self.docs.get(k) is v for k, v in docs[shard].items())
            if not same:  # an entry read or checked anew, or one no longer used
                atomic_write(self._file_of(shard), pickle.dumps(
                    {"salt": self.salt, "files": files[shard], "docs": docs[shard]},
                    protocol=pickle.HIGHEST_PROTOCOL))


def _parse_files(paths: list[str], parse: Callable[[bytes], Any]) -> list[tuple[str, Any]]:
    return [(path, parse(Path(path).read_bytes())) for path in paths]


def shard_of(key: str, shards: int = SHARDS) -> int:
    """The shard of a file's path or a document's uid (or of a folder's name: TreeScan)."""
    return zlib.crc32(key.encode("utf-8", "surrogateescape")) % shards
