"""The page-dependency record: which inputs every output of a build was made from.

Each file the render path (``generator.render``) writes is listed in ``.ashyq-deps`` in its
build directory with the *keys* of its inputs; the record also holds each key's fingerprint (a
hash of what the key stands for) at the time of the build. A later build computes the
fingerprints again: an output is rendered again only when it is new, its list of keys changed,
or the fingerprint of one of its keys changed; every other output is carried over from the
previous build unchanged (by hard link). Byte-identity with a cold build (tests/test_deps.py)
rests on every output naming all its inputs.

Input keys:

``src:<uid>``      the document's Markdown files and attachments (its body)
``meta:<uid>``     what lists show of it: metadata, parts, attachments, computed dates, status
``admin:<code>``   one state body's entry in ``administrators.toml``
``body:<code>``    that entry and the ``meta`` of every document of the body (its page)
``announce:<uid>`` which press release announces the document
``public:<uid>``   its vote totals, published proposals and answers (the public snapshot)
``report:<uid>``   its frozen final report (R17), if any
``day:<uid>``      the build's day, as far as it changes what feeds show of the document: the
                   day itself until the last of its events (opening, closing, proposals
                   published, answers; a material's date) has come, then that event's day
``index``          every document's ``meta`` and every state body, the day and the working-day
                   calendar's decrees (lists, the calendar, the manifest, compliance)
``press``          every press release's body (the press feed quotes their first paragraphs)
``snapshot``       the whole public snapshot (open data)
``budget``         the budget execution datasets (R4)
``compliance``     the index, the snapshot, the press releases' bodies, whether each text passes
                   R3 (its share of Kazakh letters where it fails) and the implementation
                   reports' files (the compliance overview, which lists violations only)
``compliance:<code>`` that state body's ``body`` key, texts' R3 shares and reports' files
                   (its page lists every check), and what its checks read of other bodies'
                   documents (statements, budget reporting, citizens' budgets, press
                   releases), the day, the calendar and the snapshot
``site``           the build's language-neutral pages: needs nothing beyond ``global``

The ``global`` fingerprint covers the templates, theme, catalogs, settings and the generator's
own code: when it changes, every output is rendered again (a full build).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import marshal
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ashyq.doctypes import LANGUAGES
from ashyq.files import atomic_write
from generator.letters import language_verdict
from generator.public_state import day_of
from generator.retired import release

RECORD = ".ashyq-deps"
#: 2: "indexed" maps each page to its index version; 3: marshal, key lists stored once;
#: 4: each document's outputs ("groups"); 5: and every key they and their listing name
RECORD_VERSION = 5
#: marshal's format may change between Python versions: a record of another is not read
_PYTHON = "%d.%d" % sys.version_info[:2]
#: The inputs the search leaves out of a page's index version: the public snapshot's share of
#: a page (votes, proposals, answers: ``generator.search.EXCLUDE_SELECTORS`` keeps them out
#: of the index, so a decision re-indexes nothing; tests/test_search.py).
UNINDEXED_KEYS = ("public:",)
PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: What a change of means a full build: templates and theme, catalogs, settings, code.
GLOBAL_SOURCES = ("themes", "ashyq/translations", "generator", "ashyq", "pelicanconf.py")


def digest(*parts) -> str:
    """A short stable hash of JSON-able ``parts``."""
    text = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


def file_digest(*paths: Path) -> str:
    h = hashlib.blake2b(digest_size=12)
    for path in paths:
        h.update(str(path.name).encode() + b"\0")
        h.update(Path(path).read_bytes() if Path(path).is_file() else b"\0missing")
    return h.hexdigest()


def tree_digest(root: Path, sources: tuple[str, ...] = GLOBAL_SOURCES) -> str:
    """The hash of every file under ``sources`` (bytes and names), caches left out."""
    h = hashlib.blake2b(digest_size=12)
    for name in sources:
        base = root / name
        files = [base] if base.is_file() else sorted(
            p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts
            and not p.name.endswith((".pyc", ".mo")))
        for path in files:
            h.update(path.relative_to(root).as_posix().encode() + b"\0")
            h.update(path.read_bytes())
    return h.hexdigest()


def index_version(inputs: dict[str, str], keys: tuple[str, ...], group: str = "") -> str:
    """What a page's search index is made from: ``<group>/<hash>``, the hash of the
    fingerprints of its inputs less the public snapshot's. Two pages with one version index
    alike; a page written again with the bytes it had keeps its version (``generator.render``),
    so a new day that changes a page's inputs but not its text re-indexes nothing
    (``generator.search.index_parts``). ``group``: :func:`index_group` of a document's page."""
    return group + "/" + digest([(k, inputs.get(k)) for k in keys
                                 if not k.startswith(UNINDEXED_KEYS)])


def index_group(day: dt.date | None) -> str:
    """The search index's group of a document's pages: the quarter of its date. Statuses
    change on the pages of documents posted lately; grouped by quarter, a new day re-indexes
    the parts of one or two quarters, not a few pages in every part."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}" if day else ""


@dataclass
class Record:
    """The dependency record of one build directory."""

    global_key: str
    inputs: dict[str, str] = field(default_factory=dict)  # key -> fingerprint
    outputs: dict[str, tuple[str, ...]] = field(default_factory=dict)  # path -> keys
    #: the pages the search indexes, each with its index version (:func:`index_version`)
    indexed: dict[str, str] = field(default_factory=dict)
    #: the outputs of each document in each language, by ``<lang>:<uid>``
    #: (``generator.render.RenderPath.emit_document``)
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: every key a group's outputs name, and those that decide which outputs it has, sorted:
    #: a group none of whose keys changed is the same outputs from the same inputs
    group_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: keys the outputs name that have no fingerprint here (found when saved or first asked;
    #: None: not yet). Kept, not recomputed: a caller that changes ``outputs`` or ``inputs``
    #: after asking must set it back to None before asking again.
    unknown: frozenset[str] | None = field(default=None, compare=False, repr=False)
    #: the file it was read from, as ``(st_dev, st_ino)`` (:meth:`load`): an older build
    #: whose record is that file holds the same files (``generator.builds.keep_mirror``)
    loaded_from: tuple[int, int] | None = field(default=None, compare=False, repr=False)
    #: only what the search index reads (``global_key``, ``indexed``): not to be saved
    index_only: bool = field(default=False, compare=False, repr=False)

    def unknown_keys(self) -> frozenset[str]:
        if self.unknown is None:
            self.unknown = frozenset(set().union(*set(self.outputs.values())) - self.inputs.keys())
        return self.unknown

    def to_bytes(self) -> bytes:
        """The record as marshal data, each distinct list of keys stored once (a JSON record
        of 20,000 documents was 43 MB and took a second to write and one to read)."""
        keysets: dict[tuple[str, ...], int] = {}
        paths = sorted(self.outputs)
        refs = [keysets.setdefault(self.outputs[p], len(keysets)) for p in paths]
        unknown = set().union(*keysets) - self.inputs.keys()
        # equal values one object, which marshal then stores once: 180,000 fingerprints
        # are 80,000 values, a document's two languages' groups have the same keys, and
        # loading makes as many fewer objects (two records are read before an edit renders)
        same: dict = {}

        def once(items) -> dict:
            return {key: same.setdefault(value, value) for key, value in sorted(items)}
        return marshal.dumps((RECORD_VERSION, _PYTHON, self.global_key,
                              once(self.inputs.items()), list(keysets), paths, refs,
                              once(self.indexed.items()), sorted(unknown),
                              dict(sorted(self.groups.items())),
                              once(self.group_keys.items())), 4)

    @classmethod
    def from_bytes(cls, data: bytes, index_only: bool = False) -> "Record | None":
        """The record in ``data`` (:meth:`to_bytes`), or None (another version, damaged).
        ``index_only``: only what the search index reads - a tenth of the 108 MB a whole
        record of 20,000 documents holds while Pagefind runs beside it (issue 10: 1 GB)."""
        try:
            version, python, global_key, inputs, keysets, paths, refs, indexed, unknown, \
                groups, group_keys = marshal.loads(data)
            if (version, python) != (RECORD_VERSION, _PYTHON) or len(paths) != len(refs):
                return None
            if index_only:
                return cls(global_key, indexed=indexed, index_only=True)
            return cls(global_key, inputs, dict(zip(paths, map(keysets.__getitem__, refs))),
                       indexed, groups, group_keys, frozenset(unknown))
        except (EOFError, ValueError, TypeError, IndexError, KeyError):
            return None

    def save(self, build_dir: Path) -> None:
        if self.index_only:
            raise ValueError("a record read for the search index alone is not saved")
        data = self.to_bytes()
        release(Path(build_dir).parent, len(data))  # 28 MB at 20,000: ``generator.retired``
        atomic_write(Path(build_dir) / RECORD, data)

    @classmethod
    def load(cls, build_dir: Path | None, index_only: bool = False) -> "Record | None":
        """The record of ``build_dir``, or None (no build, an old build, a damaged record);
        ``index_only``: :meth:`from_bytes`."""
        if not build_dir:
            return None
        try:
            with open(Path(build_dir) / RECORD, "rb") as file:
                data, st = file.read(), os.fstat(file.fileno())
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        record = cls.from_bytes(data, index_only)
        if record is not None:
            record.loaded_from = (st.st_dev, st.st_ino)
        return record

    def count_pages(self) -> int:
        """The build's pages: its outputs that are HTML."""
        return sum(1 for path in self.outputs if path.endswith(".html"))

    def changed_keys(self, current: dict[str, str]) -> set[str]:
        """The keys whose fingerprint in ``current`` is not this record's, and the keys its
        outputs name that it has no fingerprint of."""
        changed = {k for k, v in self.inputs.items() if current.get(k) != v}
        changed.update(self.unknown_keys())
        return changed

    def moved_keys(self, current: dict[str, str], changed: set[str] | None = None) -> set[str]:
        """The :meth:`changed_keys` (if not known yet) and the keys of ``current`` this record
        has no fingerprint of: what decides a document's outputs is looked up here."""
        changed = self.changed_keys(current) if changed is None else changed
        return changed | (current.keys() - self.inputs.keys())

    def freshness(self, current: dict[str, str], changed: set[str] | None = None
                  ) -> Callable[[str, tuple[str, ...]], bool]:
        """``fresh(path, keys)``: True when ``path`` was made from exactly these inputs, all
        unchanged since (fingerprints in ``current``). The changed keys are found once, so
        each of 130,000 outputs costs a tuple comparison and a set lookup (a key with no
        fingerprint in this record counts as changed)."""
        changed = self.changed_keys(current) if changed is None else changed  # (if known)
        outputs = self.outputs

        def fresh(path: str, keys: tuple[str, ...]) -> bool:
            return outputs.get(path) == keys and changed.isdisjoint(keys)
        return fresh


def _meta_view(doc) -> dict:
    return {"type": doc.type, "meta": doc.meta, "generated": doc.generated,
            "parts": [(p.id, p.title) for p in doc.parts],
            "attachments": [(a.name, a.caption, a.size) for a in doc.attachments],
            "posted": doc.posted, "end": doc.discussion_end, "status": doc.status,
            "declared": doc.declared_posted, "first_served": doc.first_served}


def _public_of(snapshot: dict) -> dict[str, list]:
    """Each document's share of the snapshot: its totals and its proposals."""
    shares: dict[str, list] = {}
    for uid, totals in (snapshot.get("documents") or {}).items():
        shares.setdefault(uid, [None, []])[0] = totals
    for item in snapshot.get("proposals") or []:
        shares.setdefault(item.get("document"), [None, []])[1].append(item)
    return shares


def last_event(doc, share: list | None) -> dt.date:
    """The last day on which something of ``doc`` appears in a feed (generator.follow shows
    what is dated up to the build's day): after it, a new day changes nothing there."""
    if not doc.doc_type.discussion:
        return doc.date
    days = [doc.posted, doc.discussion_end + dt.timedelta(days=1)]
    for item in (share or [None, []])[1]:
        days += [day for day in (day_of(item.get("published")),
                                 day_of((item.get("answer") or {}).get("date"))) if day]
    return max(days)


def source_fingerprint(doc) -> str:
    """``src:<uid>``: the document's files and attachments."""
    return doc.source_digest or file_digest(
        *[doc.sources[lang] for lang in LANGUAGES],
        *[Path(doc.attachments_dir, a.name) for a in doc.attachments])


def compliance_inputs(index) -> dict[str | None, list]:
    """What the compliance checks read of the documents' files beyond their metadata, by the
    state body the checks are charged to: each text's R3 verdict (so an edit that keeps every
    verdict leaves the pages alone), and the files of implementation reports, whose
    attachments R10 opens. (R12 reads the press releases: the ``press`` key.)"""
    seen: dict[str | None, list] = {}
    for uid, doc in sorted(index.documents.items()):
        if doc.generated:
            continue
        if doc.type == "implementation_report" or len(doc.letters) != len(LANGUAGES):
            read = source_fingerprint(doc)
        else:
            read = [language_verdict(doc.letters[lang], lang) for lang in LANGUAGES]
        seen.setdefault(doc.administrator, []).append((uid, read))
    return seen


def _violations(read):
    """What the compliance overview shows of a text's R3 verdicts: whether each passed, and
    the share only where it failed (``read`` of a report is its files' hash: kept whole)."""
    if isinstance(read, str):
        return read
    return [verdict if verdict is None or not verdict[0] else True for verdict in read]


def fingerprints(index, snapshot: dict | None, reports_dir: str | None,
                 budget_files: list[Path]) -> dict[str, str]:
    """The fingerprint of every input key of this build (see the module's docstring)."""
    return {**fingerprints_but_days(index, snapshot, reports_dir, budget_files),
            **day_fingerprints(index, snapshot)}


def day_fingerprints(index, snapshot: dict | None) -> dict[str, str]:
    """The ``day:<uid>`` keys (worked out apart from the others, :func:`fingerprints_but_days`,
    so that two processes can share them)."""
    shares = _public_of(snapshot or {})
    today = index.today
    return {f"day:{uid}": str(min(today, last_event(doc, shares.get(uid))))
            for uid, doc in index.documents.items()}


def fingerprints_but_days(index, snapshot: dict | None, reports_dir: str | None,
                          budget_files: list[Path]) -> dict[str, str]:
    """Every fingerprint of :func:`fingerprints` but the ``day:<uid>`` keys."""
    found, shared = fingerprints_but_texts(index, snapshot, reports_dir, budget_files)
    return with_compliance(found, shared, compliance_texts(index), index.administrators)


def fingerprints_apart(index, snapshot: dict | None, reports_dir: str | None,
                       budget_files: list[Path], texts: bool) -> bytes:
    """In a forked process (``generator.build``), while the build prepares the index: the
    fingerprints but the days', the texts' only if ``texts`` (else the build hashes them),
    as marshal data (handed back faster than pickled): :func:`with_compliance` joins them."""
    return marshal.dumps((*fingerprints_but_texts(index, snapshot, reports_dir, budget_files),
                          compliance_texts(index) if texts else None))


def compliance_texts(index) -> tuple[str, dict[str | None, str]]:
    """What the compliance pages read of the texts (:func:`compliance_inputs`), hashed for
    the overview and for each state body's page: worked out apart from the rest of
    :func:`fingerprints_but_days` (two processes share them)."""
    by_body = compliance_inputs(index)
    # the overview lists only violations: of a text that passes R3 it shows no share
    overview = digest(sorted(
        ((body, [(uid, _violations(read)) for uid, read in seen]) for body, seen in by_body.items()),
        key=lambda i: str(i[0])))
    return overview, {code: digest(seen) for code, seen in by_body.items()}


def with_compliance(found: dict[str, str], shared: str, texts: tuple[str, dict],
                    administrators) -> dict[str, str]:
    """``found`` (:func:`fingerprints_but_texts`) with the compliance keys, from ``texts``
    (:func:`compliance_texts`)."""
    overview, bodies = texts
    found["compliance"] = digest(found["index"], found["snapshot"], found["press"], overview)
    none = digest([])
    for code in administrators:
        found[f"compliance:{code}"] = digest(shared, found[f"body:{code}"], bodies.get(code, none))
    return found


def fingerprints_but_texts(index, snapshot: dict | None, reports_dir: str | None,
                           budget_files: list[Path]) -> tuple[dict[str, str], str]:
    """The fingerprints of :func:`fingerprints_but_days` but the compliance keys, and what
    every state body's compliance key shares."""
    from generator.compliance import CROSS_BODY_TYPES, by_administrator
    from generator.content import DECREES_FILE
    from generator.press import generated_releases
    from generator.publication import record_from_snapshot
    from generator.reports import (
        PUBLISHED_FILES, VERSIONS_FILE, current_version, published_versions,
    )

    snapshot = snapshot or {}
    found: dict[str, str] = {}
    metas = {}
    for uid, doc in index.documents.items():
        if doc.generated:  # (below: the same whether the index has them yet or not)
            continue
        metas[uid] = doc.meta_digest or digest(_meta_view(doc))
        found[f"src:{uid}"] = source_fingerprint(doc)
        found[f"meta:{uid}"] = metas[uid]
    releases = generated_releases(index)  # made from their document (and the catalogs: global)
    for uid, source in releases:
        metas[uid] = found[f"src:{uid}"] = found[f"meta:{uid}"] = "generated:" + (
            source.meta_digest or digest(_meta_view(source)))
    for code, admin in index.administrators.items():
        found[f"admin:{code}"] = digest(admin.code, admin.level, admin.name, admin.region,
                                        admin.central)  # R4 charges the central body
    bodies = by_administrator(doc for _, doc in sorted(index.documents.items())
                              if not doc.generated)  # as the state bodies' pages group them
    for code in index.administrators:
        found[f"body:{code}"] = digest(found[f"admin:{code}"],
                                       [metas[doc.uid] for doc in bodies.get(code, [])])
    committed = [d for d in index.of_type("press_release") if not d.generated]
    announced: dict[str, str] = {}
    for doc in committed:
        announced.setdefault(doc.meta[LANGUAGES[0]].get("document") or "", doc.uid)
    for uid, source in releases:  # (announced by no committed release)
        announced[source.uid] = uid
    shares = _public_of(snapshot)
    nothing = digest(None)
    for doc in index.discussions:
        found[f"announce:{doc.uid}"] = announced.get(doc.uid, "-")
        share = shares.get(doc.uid)
        found[f"public:{doc.uid}"] = nothing if share is None else digest(share)
        version = current_version(reports_dir, doc.uid)
        # every published version's files (which of them exist decides the report's
        # outputs), and the versions' dates and reasons
        found[f"report:{doc.uid}"] = nothing if version is None else digest(
            [(str(folder), prefix, file_digest(*(folder / lang / name for lang in LANGUAGES
                                                 for name in PUBLISHED_FILES)))
             for folder, prefix in published_versions(reports_dir, doc.uid, version)],
            file_digest(version.parent / VERSIONS_FILE))
    calendar = file_digest(Path(index.content_dir) / DECREES_FILE)  # R7, R9, R10, R17 dates
    bodies_found = {c: found[f"admin:{c}"] for c in index.administrators}
    found["index"] = digest(index.today, calendar, metas, bodies_found,
                            [(a.code, a.email) for a in index.administrators.values()])
    found["press"] = digest(sorted((uid, found[f"src:{uid}"]) for uid in (
        [d.uid for d in committed] + [uid for uid, _ in releases])))  # every release's files
    found["snapshot"] = digest({k: v for k, v in snapshot.items() if k != "changes_upto"})
    found["budget"] = file_digest(*budget_files)
    # The compliance pages judge texts (R3: by the verdict on each text's letters; R12: the
    # press releases' bodies), implementation reports' attachments (R10) and the record (R9-R17)
    # (:func:`compliance_texts`). A state body's page lists the checks charged to it: its own
    # documents, and what other documents those checks read (the years of every body's
    # statements, R5; the central budget reporting, R4; citizens' budgets of no body, R6;
    # press releases announcing its discussions, R12; served documents no longer in the
    # content, charged to the body that posted them) - so a document added to another body
    # leaves the page alone. (Generated press releases are not judged.)
    served = record_from_snapshot(snapshot)
    read = [d for d in index.of_type(*CROSS_BODY_TYPES) if not d.generated]
    shared = digest(index.today, calendar, found["snapshot"], bodies_found,
                    [(metas[d.uid], found[f"src:{d.uid}"]) for d in read],
                    sorted(uid for uid in served if uid not in index.documents))
    found["site"] = "-"
    return found, shared
