"""What reading the content tree found last time, so a rebuild reads only what changed.

Kept in the build cache by shard: the files of the documents' folders whose names fall to
one of :data:`SHARDS` (by CRC-32; :data:`LOOSE`: the files above those folders), as
:class:`TreeScan` groups them. Per shard, ``<cache>/content/NN.entries`` holds two tables
(read only for the shards a build reads, written again only when their entries changed):

* per file, keyed by its path and ``(mtime_ns, size, inode)``: the metadata block, the ``##``
  part headings and a hash of the bytes;
* per document, keyed by its files' keys, its ``files/`` folder, the state bodies' codes, the
  working-day calendar and the day: what validation computed (posting day, discussion end,
  status, parts, attachments) and the hashes the dependency record uses;

and ``NN.docs`` the shard's documents whole, for a build that finds its files, the context and
the first-serving days unchanged (``generator.content_kept``).

Only documents without problems are kept, so a cached document needs no checking again. The
cache is dropped whole when the code that reads content changes.
"""
from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import zlib
from pathlib import Path
from typing import Any, Callable, Iterable

from ashyq.files import atomic_write

VERSION = 2
#: The cache is kept in this many shards (by a hash of a document folder's name): a build
#: reads the files of those whose files changed, and writes again only those.
SHARDS = 32
#: The shard of the files above the documents' folders (never kept whole).
LOOSE = SHARDS
#: From this many files to read, :meth:`ContentCache.read_beforehand` shares them between
#: processes (a cold build of 20,000 passports read 40,000 files on one core).
READ_APART_FROM = 2000
_ROOT = Path(__file__).resolve().parent.parent
#: The code whose results are cached: a change to it empties the cache.
_READERS = ("generator/content.py", "generator/content_file.py", "generator/content_cache.py",
            "generator/content_kept.py", "generator/letters.py", "ashyq/doctypes.py",
            "ashyq/workdays.py")


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
        caches, 1.3 s), their scans then :meth:`joined`.

        The files are also grouped by the :data:`SHARDS` shard of the folder two levels
        down they are in (:data:`LOOSE`: above those), each group hashed (``digests``): a
        group whose hash is the same holds the same files, so the documents read from it
        are the same (:meth:`ContentCache.kept_documents`)."""
        assert SHARDS % share[1] == 0  # (a group is walked whole by one share)
        self.root = str(root)
        self.files: dict[str, tuple[int, int, int]] = {}
        self.links: set[str] = set()  # links not to a file (to a folder: not walked into)
        self.groups: dict[int, list[str]] = {}  # shard -> its files' paths
        self.linked: set[int] = set()  # the shards with such links
        self._folders: dict[str, list] | None = None
        number, of = share
        stack = [(self.root, 0, LOOSE)]
        while stack:
            folder, depth, shard = stack.pop()
            group = self.groups.setdefault(shard, [])
            try:
                with os.scandir(folder) as found:
                    for entry in found:
                        try:
                            if entry.is_dir(follow_symlinks=False):
                                if depth != 1:
                                    stack.append((entry.path, depth + 1, shard))
                                elif (below := shard_of(entry.name)) % of == number:
                                    stack.append((entry.path, depth + 1, below))
                            elif depth < 2 and number != 0:
                                continue  # (share 0's)
                            elif entry.is_file():
                                self.files[entry.path] = key_of(entry.stat())
                                group.append(entry.path)
                            elif entry.is_symlink():
                                self.links.add(entry.path)
                                self.linked.add(shard)
                        except FileNotFoundError:  # gone meanwhile, or a broken link
                            continue
            except (FileNotFoundError, NotADirectoryError):
                continue
        files = self.files
        self.digests: dict[int, str] = {}
        for shard, paths in self.groups.items():
            h = hashlib.blake2b(digest_size=12)
            for path in sorted(paths):
                h.update(f"{path}\0{files[path]}\n".encode("utf-8", "surrogateescape"))
            self.digests[shard] = h.hexdigest()

    @staticmethod
    def joined(shares: list["TreeScan"]) -> "TreeScan":
        """One scan of the tree from the scans of its shares (each of one ``share``)."""
        scan = shares[0]
        for other in shares[1:]:
            scan.files.update(other.files)
            scan.links |= other.links
            scan.linked |= other.linked
            for shard, paths in other.groups.items():
                scan.groups.setdefault(shard, []).extend(paths)
                if paths or shard not in scan.digests:
                    scan.digests[shard] = other.digests[shard]
        return scan

    def digest(self) -> str:
        """A hash of the names and stat keys: equal when no file was added, removed, replaced
        or written since (the trust :meth:`ContentCache.file` puts in the same keys)."""
        return hashlib.blake2b(repr(sorted(
            (shard, digest) for shard, digest in self.digests.items() if self.groups[shard]
        )).encode(), digest_size=12).hexdigest()

    def markdown_files(self, shards: "Iterable[int] | None" = None) -> dict[str, tuple]:
        """Every ``*.md`` file (of the ``shards`` given, or all) and its stat key, in path
        order (as ``Path`` objects sort: by component; a separator read as NUL, below every
        character a name has, orders the strings alike without splitting 40,000 of them)."""
        paths = (self.files if shards is None else
                 (p for shard in shards for p in self.groups.get(shard, ())))
        return {p: self.files[p] for p in sorted((p for p in paths if p.endswith(".md")),
                                                 key=path_order)}

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


def path_order(path: str) -> str:
    """What sorts paths as ``Path`` objects sort (by component)."""
    return path.replace(os.sep, "\0")


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
    """The two tables and the documents kept whole, read by shard when asked (:meth:`load`,
    :meth:`kept_documents`); :meth:`save` keeps the entries this build used, writing again
    only the shards whose entries changed (an edit: one)."""

    def __init__(self, path: Path | None = None):
        """``path``: the cache's folder (pickles by shard), or None (nothing kept)."""
        self.path = Path(path) if path else None
        self.salt = _salt()
        self.files: dict[str, tuple] = {}
        self.docs: dict[str, tuple] = {}
        self._used: dict[int, tuple[dict, dict]] = {}  # shard -> its entries used (files, docs)
        self._loaded: dict[int, tuple[int, int]] = {}  # shard -> its numbers of entries read
        self._read: dict[str, tuple] = {}  # read beforehand, not yet asked for
        self._whole: dict[int, tuple | None] = {}  # shard -> its documents to keep (save)
        self._documents: dict[int, tuple] = {}  # shard -> its documents kept, read beforehand

    def _file_of(self, shard: int, kind: str = "entries") -> Path:
        """``NN.entries`` (the tables) or ``NN.docs`` (the documents whole): names no earlier
        version of this cache wrote (``NN.pickle``), so that running an older version does not
        write over the entries this one relies on beside its documents kept whole."""
        return self.path / f"{shard:02d}.{kind}"

    def load(self, shards: Iterable[int]) -> None:
        """Read the entries of the ``shards`` not read yet (a shard: the files of the
        documents' folders :class:`TreeScan` groups in it, and those documents)."""
        with collector_paused():  # a collection per thousand new objects doubled the time
            for shard in shards:
                if shard not in self._loaded:
                    self._loaded[shard] = (0, 0)
                    if self.path:
                        self._load(shard)

    def _load(self, shard: int) -> None:
        try:
            data = pickle.loads(self._file_of(shard).read_bytes())
        except Exception:  # noqa: BLE001 - a missing or damaged shard is only slower
            return
        if isinstance(data, dict) and data.get("salt") == self.salt:
            self.files.update(data["files"])
            self.docs.update(data["docs"])
            self._loaded[shard] = (len(data["files"]), len(data["docs"]))

    def file(self, path: str, parse, key: tuple | None, shard: int) -> tuple:
        """``parse(data: bytes)`` of the file at ``path``, or its cached result; ``key``: its
        stat key if known (a :class:`TreeScan`'s), ``shard``: its group's there."""
        key = key or stat_key(path)
        self.load((shard,))
        hit = self.files.get(path)
        used = self._used.setdefault(shard, ({}, {}))[0]
        if hit is not None and hit[0] == key:
            used[path] = hit
            return hit[1]
        ready = self._read.pop(path, None)
        if ready is not None and ready[0] == key:
            value = ready[1]
        else:
            value = parse(Path(path).read_bytes())
        used[path] = (key, value)
        return value

    def read_beforehand(self, files: dict[str, tuple], parse: Callable[[bytes], Any],
                        workers: int) -> None:
        """Parse the ``files`` (path: stat key) that :meth:`file` will not find (their
        shards :meth:`load`-ed), on ``workers`` processes: forked children take shares of
        them, this process one. Does nothing for fewer than READ_APART_FROM, or where
        another thread runs (a fork is safe only without)."""
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

    def document(self, uid: str, key: tuple, shard: int):
        self.load((shard,))
        hit = self.docs.get(uid)
        if hit is not None and hit[0] == key:
            self._used.setdefault(shard, ({}, {}))[1][uid] = hit
            return hit[1]
        return None

    def keep_document(self, uid: str, key: tuple, value, shard: int) -> None:
        self._used.setdefault(shard, ({}, {}))[1][uid] = (key, value)

    def kept_documents(self, shard: int, digest: str, context: tuple,
                       served: dict) -> list[tuple[str, Any]] | None:
        """The documents read from ``shard`` by an earlier build, with what orders them
        (:meth:`keep_documents`), if its files (their ``digest``, :class:`TreeScan`), the
        ``context`` and the days its documents were first ``served`` are the same; else None
        (read them)."""
        def same(head: tuple) -> bool:
            return head[:3] == (self.salt, digest, context) and tuple(
                map(served.get, head[3])) == head[4]
        if not self.path:
            return None
        try:
            if shard in self._documents:
                head, documents = self._documents.pop(shard)
                return documents if same(head) else None
            with open(self._file_of(shard, "docs"), "rb") as file:
                return pickle.load(file) if same(pickle.load(file)) else None
        except Exception:  # noqa: BLE001 - a missing or damaged file is only slower
            return None

    def read_documents(self) -> "ContentCache":
        """Read the documents kept whole of every shard now, for :meth:`kept_documents` to
        take (a rebuild reads them while its tree is walked, before it can tell which
        shards are unchanged)."""
        with collector_paused():
            for shard in range(SHARDS) if self.path else ():
                try:
                    with open(self._file_of(shard, "docs"), "rb") as file:
                        self._documents[shard] = (pickle.load(file), pickle.load(file))
                except Exception:  # noqa: BLE001 - a missing or damaged file: read again
                    continue
        return self

    def keep_documents(self, shard: int, digest: str, context: tuple, served: dict,
                       documents: list[tuple[str, Any]]) -> None:
        """Keep the ``documents`` read from ``shard`` (each with what orders it) whole, for
        :meth:`kept_documents` (written by :meth:`save`: a document is not changed after it
        is read, only its cached properties made)."""
        uids = tuple(doc.uid for _, doc in documents)
        self._whole[shard] = ((self.salt, digest, context, uids, tuple(map(served.get, uids))),
                              documents)

    def forget_documents(self, shard: int) -> None:
        """Keep no documents of ``shard`` whole (those an earlier build kept go at :meth:`save`:
        its files may come back as they were then, its other documents not)."""
        self._whole[shard] = None

    def save(self) -> None:
        """Keep the entries this build used in the shards it read; only the shards whose
        entries changed are written again (an edit rewrites one or two, not 60,000
        entries), and the documents kept whole."""
        if not self.path:
            return
        self.path.mkdir(parents=True, exist_ok=True)
        for shard in self._loaded.keys() | self._used.keys():
            files, docs = self._used.get(shard, ({}, {}))
            same = self._loaded.get(shard) == (len(files), len(docs)) and all(
                self.files.get(k) is v for k, v in files.items()) and all(
                self.docs.get(k) is v for k, v in docs.items())
            if not same:  # an entry read or checked anew, or one no longer used
                atomic_write(self._file_of(shard), pickle.dumps(
                    {"salt": self.salt, "files": files, "docs": docs},
                    protocol=pickle.HIGHEST_PROTOCOL))
            if not files and shard not in self._whole:  # its folders gone
                self._file_of(shard, "docs").unlink(missing_ok=True)
        for shard, whole in self._whole.items():
            if whole is None:
                self._file_of(shard, "docs").unlink(missing_ok=True)
                continue
            atomic_write(self._file_of(shard, "docs"), pickle.dumps(
                whole[0], protocol=pickle.HIGHEST_PROTOCOL) + pickle.dumps(
                whole[1], protocol=pickle.HIGHEST_PROTOCOL))
        self._whole = {}


@contextlib.contextmanager
def collector_paused():
    """The cyclic garbage collector off for the block (many objects made, none in a cycle:
    a collection per thousand new ones walked them over and over), as it was after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parse_files(paths: list[str], parse: Callable[[bytes], Any]) -> list[tuple[str, Any]]:
    return [(path, parse(Path(path).read_bytes())) for path in paths]


def shard_of(key: str, shards: int = SHARDS) -> int:
    """The shard of a file's path or a document's uid (or of a folder's name: TreeScan)."""
    return zlib.crc32(key.encode("utf-8", "surrogateescape")) % shards
