"""Read and validate the content tree into a :class:`SiteIndex`, without rendering Markdown.

This pass reads only each file's metadata block and its ``##`` headings, so it is cheap. It
checks everything a build must refuse (R3 both languages, R9/R10 discussion length, R14 part
ids, required fields, administrators) and computes each discussion's end and status. The
Pelican plugin renders the bodies; the manifest, feeds and lists are computed from this index.
"""
from __future__ import annotations

import datetime as dt
import functools
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from ashyq.administrators import FILE_NAME, AdministratorsInvalid, read_administrators_file
from ashyq.doctypes import (
    BUDGET_TYPES, CITIZENS_BUDGET_STAGES, DOC_TYPES, LANGUAGES, PART_ID, UID, DocType,
    discussion_status, page_url,
)
from ashyq.workdays import CalendarError, WorkingCalendar, calendar_source, load_calendar
from generator.content_cache import LOOSE, ContentCache, TreeScan, stat_key
from generator.content_file import content_hash, parse_file, shared
from generator.content_kept import distinct, keep_shards, kept_shards, with_kept
from generator.letters import LetterCounts
from generator.publication import version_of

log = logging.getLogger(__name__)

ADMINISTRATORS_FILE = FILE_NAME
DECREES_FILE = "decrees.toml"
ATTACHMENTS_DIR = "files"


@dataclass(frozen=True)
class Problem:
    """One reason the content cannot be built: where, which field, which rule, what is wrong."""

    path: str
    field: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.message} [{self.rule}]"


class ContentInvalid(Exception):
    "The content tree has problems; nothing was built"

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in the content:\n{lines}")

    def __reduce__(self):  # handed over from the process that read the content (generator.apart)
        return type(self), (self.problems,), self.__dict__


@dataclass(frozen=True)
class Administrator:
    """A state body that administers budget programs (R8), with its report-delivery address."""

    code: str
    level: str
    name: dict[str, str]
    email: str
    region: dict[str, str] = field(default_factory=dict)
    central: bool = False  # the central body for budget execution (R4), ``central_body = true``


@dataclass(frozen=True)
class Part:
    """A structural part of a passport or report (R14): a ``##`` section with a stable id."""

    id: str
    title: dict[str, str]


@dataclass(frozen=True)
class Attachment:
    """A supporting file beside a document (R10), shared by both languages."""

    name: str
    caption: dict[str, str]
    size: int


@dataclass
class Document:
    """One document in both languages: metadata per language plus computed facts."""

    uid: str
    doc_type: DocType
    source_names: dict[str, str]  # its files by language (``sources``: as paths)
    meta: dict[str, dict[str, str]]
    parts: list[Part] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    posted: dt.date | None = None
    discussion_end: dt.date | None = None
    status: str | None = None
    generated: bool = False  # a press release the build wrote itself (R12)
    source_digest: str = ""  # a hash of its files and attachments (generator.deps)
    meta_digest: str = ""  # a hash of what lists show: metadata, parts, dates, status
    version: str = ""  # the publication record's hash of this version (generator.publication)
    declared_posted: dt.date | None = None  # the ``posted`` typed in the header
    first_served: dt.date | None = None     # from the publication record (R9, R10, R12)
    letters: dict[str, LetterCounts] = field(default_factory=dict)  # per language (R3)

    def __getstate__(self) -> dict:
        """Its fields, not what its cached properties made (kept whole between builds:
        ``generator.content_kept``; 40,000 paths made again were a tenth of a second)."""
        state = self.__dict__.copy()
        state.pop("sources", None)
        state.pop("administrator", None)
        return state

    @functools.cached_property
    def sources(self) -> dict[str, Path]:
        """Its files by language, made paths when first asked (a build at 20,000 documents
        asks for a few: making 40,000 was 0.1 s of every edit)."""
        return {lang: Path(name) for lang, name in self.source_names.items()}

    @property
    def attachments_dir(self) -> str:  # R10: the folder of its attachments, beside its files
        return os.path.join(os.path.dirname(self.source_names[LANGUAGES[0]]), ATTACHMENTS_DIR)

    @property
    def type(self) -> str:
        return self.doc_type.name

    @functools.cached_property
    def administrator(self) -> str | None:
        return self.meta[LANGUAGES[0]].get("administrator") or None

    @property
    def date(self) -> dt.date:
        """The date the document appears on the portal (posting date, or a release's date)."""
        if self.posted:
            return self.posted
        return dt.date.fromisoformat(self.meta[LANGUAGES[0]]["date"])

    def title(self, lang: str) -> str:
        return self.meta[lang]["title"]

    def url(self, lang: str) -> str:
        return page_url(lang, self.doc_type.section, self.uid)

    @property
    def urls(self) -> dict[str, str]:
        return {lang: self.url(lang) for lang in LANGUAGES}


@dataclass
class SiteIndex:
    """Everything the build knows before rendering: documents, administrators, the calendar."""

    content_dir: Path
    today: dt.date
    calendar: WorkingCalendar
    administrators: dict[str, Administrator]
    documents: dict[str, Document]
    problems: list[Problem] = field(default_factory=list)  # only with strict=False
    #: results derived from the documents, for this build (documents are only ever added,
    #: by generator.press, so an entry is kept with the number of documents it was made from)
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    def derived(self, key, make):
        """``make()``, made once per number of documents (:attr:`memo`, under ``key``); the
        answer is shared: not to be changed."""
        known = self.memo.get(key)
        if known is None or known[0] != len(self.documents):
            known = self.memo[key] = (len(self.documents), make())
        return known[1]

    def of_type(self, *types: str) -> list[Document]:
        """Documents of the given types, newest first, then by uid (a stable order)."""
        return list(self.derived(("of_type", types), lambda: sorted(
            (d for name in dict.fromkeys(types) for d in self._by_type().get(name, ())),
            key=lambda d: (-d.date.toordinal(), d.uid))))

    def _by_type(self) -> dict[str, list[Document]]:
        """The documents by type, in the index's order (found once per number of documents:
        17 lists asked of 60,000 documents were 0.1 s of an edit)."""
        def grouped() -> dict[str, list[Document]]:
            found: dict[str, list[Document]] = {}
            for doc in self.documents.values():
                found.setdefault(doc.type, []).append(doc)
            return found
        return self.derived("by type", grouped)

    def in_section(self, section: str) -> list[Document]:
        return self.of_type(*(n for n, t in DOC_TYPES.items() if t.section == section))

    @property
    def discussions(self) -> list[Document]:
        return self.of_type(*(n for n, t in DOC_TYPES.items() if t.discussion))


def load_administrators(content_dir: Path, problems: list[Problem]) -> dict[str, Administrator]:
    """Administrators from ``administrators.toml`` (R8: code, kk/ru names, report e-mail)."""
    path = content_dir / ADMINISTRATORS_FILE
    if not path.exists():
        problems.append(Problem(str(path), "administrator", "R8", "file is missing"))
        return {}
    try:
        entries = read_administrators_file(path)
    except AdministratorsInvalid as exc:
        problems.append(Problem(str(path), "-", "R8", f"not valid TOML: {exc}"))
        return {}
    admins: dict[str, Administrator] = {}
    for i, entry in enumerate(entries, 1):
        code = str(entry.get("code", ""))
        where = f"{path} [administrator {i}]"
        names = entry.get("name") or {}
        missing = [f"name.{lang}" for lang in LANGUAGES if not names.get(lang)]
        missing += [k for k in ("code", "email", "level") if not entry.get(k)]
        if missing:
            problems.append(Problem(where, ", ".join(missing), "R8", "required, missing"))
            continue
        if entry["level"] not in BUDGET_TYPES:
            problems.append(Problem(where, "level", "R8", f"must be one of {BUDGET_TYPES}"))
        if code in admins:
            problems.append(Problem(where, "code", "R8", f"code {code} is listed twice"))
        admins[code] = Administrator(code, entry["level"], dict(names), entry["email"],
                                     dict(entry.get("region") or {}),
                                     bool(entry.get("central_body", False)))
    return admins


def _language_of(path: str) -> str | None:
    """The language a Markdown file's name gives (``<name>.kk.md``), or None: its last but one
    suffix, sliced (asked of 40,000 names a build; the languages are two-letter codes)."""
    lang = path[-5:-3]
    return lang if path[-6:-5] == "." and path[-3:] == ".md" and lang in LANGUAGES else None


def _parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def _attachments(folder: str, meta: dict[str, dict[str, str]], src: str,
                 problems: list[Problem]) -> list[Attachment]:
    """Parse ``attachments: name | caption; ...`` per language; files live in ``files/``."""
    per_lang = {}
    for lang in LANGUAGES:
        entries = [e.strip() for e in meta[lang].get("attachments", "").split(";") if e.strip()]
        per_lang[lang] = [(n.strip(), c.strip()) for n, _, c in (e.partition("|") for e in entries)]
    names = [n for n, _ in per_lang[LANGUAGES[0]]]
    if names != [n for n, _ in per_lang[LANGUAGES[1]]]:
        problems.append(Problem(str(src), "attachments", "R3",
                                "the kk and ru files must list the same attachments"))
        return []
    result = []
    for i, name in enumerate(names):
        path = Path(folder, name)
        if "/" in name or name.startswith(".") or not path.is_file():
            problems.append(Problem(str(src), "attachments", "R10",
                                    f"{name!r} is not a file in {folder}"))
            continue
        captions = {lang: per_lang[lang][i][1] or name for lang in LANGUAGES}
        result.append(Attachment(name, captions, path.stat().st_size))
    return result


def _check_document(doc: Document, admins: dict[str, Administrator],
                    calendar: WorkingCalendar, today: dt.date,
                    parts_by_lang: dict[str, list], problems: list[Problem],
                    served: dict[str, dt.date] | None = None) -> None:
    t = doc.doc_type
    names = doc.source_names  # (strings: making 40,000 paths was a second of a cold build)
    for lang in LANGUAGES:
        src = names[lang]
        meta = doc.meta[lang]
        for name in t.required:
            if not meta.get(name):
                problems.append(Problem(src, name, t.rule if name != "title" else "R3",
                                        f"required for a {t.name}, missing"))
        for name in t.dates:
            if meta.get(name) and _parse_date(meta[name]) is None:
                problems.append(Problem(src, name, t.rule,
                                        f"{meta[name]!r} is not a date (YYYY-MM-DD)"))
        code = meta.get("administrator")
        if code and code not in admins:
            problems.append(Problem(src, "administrator", "R8",
                                    f"code {code} is not in {ADMINISTRATORS_FILE}"))
        if t.discussion and meta.get("budget_type") and meta["budget_type"] not in BUDGET_TYPES:
            problems.append(Problem(src, "budget_type", "R17", f"must be one of {BUDGET_TYPES}"))
        if t.name == "citizens_budget" and meta.get("stage") not in (None, *CITIZENS_BUDGET_STAGES):
            problems.append(Problem(src, "stage", "R6", f"must be one of {CITIZENS_BUDGET_STAGES}"))
    first, second = (doc.meta[lang] for lang in LANGUAGES)
    for name in t.shared:
        if first.get(name, "") != second.get(name, ""):
            problems.append(Problem(names[LANGUAGES[1]], name, "R3",
                                    f"{second.get(name, '')!r} differs from "
                                    f"{first.get(name, '')!r} in the {LANGUAGES[0]} file"))
    declared = _parse_date(first.get("posted", "")) if "posted" in t.required else None
    # R9, R10, R12: the posting date is when the portal first showed the document - the later
    # of the declared date and the first serving in the publication record (generator.publication)
    doc.declared_posted, doc.first_served = declared, (served or {}).get(doc.uid)
    posted = max(declared, doc.first_served) if declared and doc.first_served else declared
    doc.posted = posted
    if not t.discussion:
        return
    # R14: every structural part carries a stable id, the same in both languages.
    ids_by_lang = {}
    for lang in LANGUAGES:
        src = names[lang]
        ids = []
        for part_id, title, line in parts_by_lang[lang]:
            if part_id is None:
                problems.append(Problem(f"{src}:{line}", "part id", "R14",
                                        f"heading '## {title}' needs a stable id: '## {title} {{#some-id}}'"))
            elif not PART_ID.match(part_id):
                problems.append(Problem(f"{src}:{line}", "part id", "R14",
                                        f"{part_id!r} must be lower-case letters, digits and '-'"))
            elif part_id in ids:
                problems.append(Problem(f"{src}:{line}", "part id", "R14",
                                        f"{part_id!r} is used twice"))
            ids.append(part_id)
        if not parts_by_lang[lang]:
            problems.append(Problem(src, "parts", "R14",
                                    "a passport or report needs '## ... {#id}' structural parts"))
        ids_by_lang[lang] = ids
    if ids_by_lang[LANGUAGES[0]] != ids_by_lang[LANGUAGES[1]]:
        problems.append(Problem(names[LANGUAGES[1]], "part id", "R14",
                                f"parts {ids_by_lang[LANGUAGES[1]]} differ from "
                                f"{ids_by_lang[LANGUAGES[0]]} in the {LANGUAGES[0]} file"))
    else:
        doc.parts = [
            shared(Part(pid, titles), (Part, pid, *titles.items()))
            for i, pid in enumerate(ids_by_lang[LANGUAGES[0]]) if pid
            for titles in [{lang: parts_by_lang[lang][i][1] for lang in LANGUAGES}]
        ]
    if posted is None:
        return
    requested = _parse_date(first.get("discussion_end", ""))
    try:
        doc.discussion_end = calendar.discussion_end(declared, requested)  # R9, R10
    except ValueError as exc:
        problems.append(Problem(names[LANGUAGES[0]], "discussion_end", t.rule, str(exc)))
        return
    if posted != declared:  # first served later than declared: count from the first serving
        doc.discussion_end = max(doc.discussion_end, calendar.discussion_end(posted))
    doc.status = discussion_status(posted, doc.discussion_end, today)


def load_content(content_dir: Path, today: dt.date,
                 served: dict[str, dt.date] | None = None, strict: bool = True,
                 cache: ContentCache | None = None, scan: TreeScan | None = None,
                 workers: int = 1, keep: bool = True) -> SiteIndex:
    """Read and validate the whole content tree; raise :class:`ContentInvalid` on any problem.

    ``served`` maps uids to the day the portal first served them (the publication record,
    :mod:`generator.publication`): a later first serving moves the posting date (R9, R10).
    With ``strict=False`` (the compliance check) the problems are kept in ``index.problems``
    and the documents they concern are left out, so every other check still runs. With a
    ``cache`` (``generator.content_cache``), unchanged files are not read again and unchanged
    documents not checked again. ``scan``: the tree's stat keys if taken already;
    ``workers``: processes that share the reading of many files not in the cache; ``keep``:
    take (and keep) whole the documents of folders unchanged since (``generator.content_kept``)."""
    content_dir = Path(content_dir).resolve()
    cache = cache or ContentCache()
    if scan is None or scan.root != str(content_dir):
        scan = TreeScan(content_dir)
    problems: list[Problem] = []
    try:
        calendar = load_calendar(content_dir / DECREES_FILE)
    except CalendarError as exc:
        raise ContentInvalid([Problem(str(content_dir / DECREES_FILE), "-", "R9", str(exc))]) from exc
    admins = load_administrators(content_dir, problems)
    # what every document's checks read beyond its files: the state bodies' codes, the decrees
    # and the calendar package (R9, R10: a discussion's end), the day (its status)
    context = (tuple(sorted(admins)), stat_key(str(content_dir / DECREES_FILE)),
               calendar_source(calendar)["version"], today)
    served = served or {}
    # the documents of the shards of folders whose files are as an earlier build read them
    kept = kept_shards(scan, cache, context, served) if strict and keep else {}
    shards = [shard for shard in range(LOOSE + 1) if shard not in kept]  # (emptied: read)
    in_shard = {path: shard for shard in shards for path in scan.groups.get(shard, ())}
    by_uid: dict[str, dict[str, tuple[str, dict[str, str], list]]] = {}
    digests: dict[str, str] = {}
    meta_digests: dict[str, str] = {}
    letters: dict[str, LetterCounts] = {}
    sources = scan.markdown_files(shards)
    unreadable: set[str] = set()  # not UTF-8: their twins are not told they have none
    cache.load(shards)
    cache.read_beforehand(sources, parse_file, workers)
    for name in sources:
        lang = _language_of(name)
        if lang is None:
            problems.append(Problem(name, "file name", "R3",
                                    "name it <name>.kk.md or <name>.ru.md"))
            continue
        meta, parts, digests[name], meta_digests[name], letters[name] = cache.file(
            name, parse_file, sources[name], in_shard[name])
        if meta is None:  # e.g. saved in Windows-1251: not read as garbage, not a traceback
            unreadable.add(name)
            problems.append(Problem(name, "encoding", "R3", f"not UTF-8 text (byte "
                                    f"{parts[0]}): save the file in the UTF-8 encoding"))
            continue
        uid = meta.get("uid", "")
        if not uid or not UID.match(uid):
            problems.append(Problem(name, "uid", "R3",
                                    "required: letters, digits, '.', '_' or '-'" if uid else
                                    "required, missing"))
            continue
        if meta.get("type") not in DOC_TYPES:
            problems.append(Problem(name, "type", "R3",
                                    f"{meta.get('type', '')!r} is not one of {sorted(DOC_TYPES)}"))
            continue
        versions = by_uid.setdefault(uid, {})
        if lang in versions:
            problems.append(Problem(name, "uid", "R3",
                                    f"uid {uid} is also used by {versions[lang][0]}"))
            continue
        versions[lang] = (name, meta, parts)  # (strings: paths are made when asked)
    if kept and not distinct(kept, by_uid):
        # a kept document's uid in a file read now, or in two kept shards: told as a full read
        return load_content(content_dir, today, served, strict, cache, scan, workers, False)
    documents: dict[str, Document] = {}
    for uid, versions in by_uid.items():
        missing = [lang for lang in LANGUAGES if lang not in versions]
        if missing:
            (path, _, _), = versions.values()
            twins = {f"{path[:-len('kk.md')]}{lang}.md" for lang in missing}
            if not twins & unreadable:  # else the twin's own problem says what to do
                problems.append(Problem(path, "language", "R3",
                                        f"uid {uid} has no {'/'.join(missing)} version "
                                        f"(every document is published in Kazakh and Russian)"))
            continue
        types = {versions[lang][1]["type"] for lang in LANGUAGES}
        if len(types) > 1:
            problems.append(Problem(str(versions[LANGUAGES[1]][0]), "type", "R3",
                                    f"the kk and ru files of {uid} have different types"))
            continue
        doc = Document(uid, DOC_TYPES[types.pop()],
                       {lang: versions[lang][0] for lang in LANGUAGES},
                       {lang: versions[lang][1] for lang in LANGUAGES})
        names = [versions[lang][0] for lang in LANGUAGES]
        doc.letters = dict(zip(LANGUAGES, map(letters.__getitem__, names)))
        folder = doc.attachments_dir
        key = (*context, served.get(uid), tuple(map(sources.__getitem__, names)),
               scan.folder(folder))  # (the stat keys the cache entries were taken under)
        known = cache.document(uid, key, in_shard[names[0]])
        if known is not None:
            (doc.posted, doc.discussion_end, doc.status, doc.parts, doc.attachments,
             doc.source_digest, doc.meta_digest, doc.declared_posted, doc.first_served,
             doc.version) = known
        else:
            before = len(problems)
            _check_document(doc, admins, calendar, today,
                            {lang: versions[lang][2] for lang in LANGUAGES}, problems, served)
            doc.attachments = _attachments(folder, doc.meta, names[0], problems)
            doc.source_digest = content_hash("\0".join(
                [digests[n] for n in names]
                + [f"{a.name}:{content_hash(Path(folder, a.name).read_bytes())}"
                   for a in doc.attachments]))
            doc.meta_digest = content_hash(repr((doc.type, [meta_digests[n] for n in names],
                                          [(a.name, a.caption, a.size) for a in doc.attachments],
                                          doc.posted, doc.discussion_end, doc.status,
                                          doc.declared_posted, doc.first_served)))
            if len(problems) == before:
                doc.version = version_of(doc)
                cache.keep_document(uid, key, tuple(
                    shared(x) if isinstance(x, dt.date) else x  # stored once (the pickles)
                    for x in (doc.posted, doc.discussion_end, doc.status, doc.parts,
                              doc.attachments, doc.source_digest, doc.meta_digest,
                              doc.declared_posted, doc.first_served, doc.version)),
                    in_shard[names[0]])
        documents[uid] = doc
    read = documents
    if kept:
        documents = with_kept(documents, kept)
    _check_links(documents, problems)
    if strict and keep and not problems:
        keep_shards(scan, cache, context, served, read, shards, in_shard)
    if problems and strict:
        raise ContentInvalid(problems)
    if problems:
        where = [p.path for p in problems]
        documents = {uid: d for uid, d in documents.items()
                     if not any(w.startswith(str(src)) for src in d.sources.values() for w in where)}
    log.info("content: %d documents, %d administrators", len(documents), len(admins))
    return SiteIndex(content_dir, today, calendar, admins, documents, problems)


def _check_links(documents: dict[str, Document], problems: list[Problem]) -> None:
    """A press release's ``document`` must name a passport or report (R12)."""
    for doc in documents.values():
        target = doc.meta[LANGUAGES[0]].get("document")
        if doc.type == "press_release" and target:
            linked = documents.get(target)
            if linked is None or not linked.doc_type.discussion:
                problems.append(Problem(str(doc.sources[LANGUAGES[0]]), "document", "R12",
                                        f"{target!r} is not a passport or implementation report"))
