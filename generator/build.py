"""Build orchestration: validate the content, run Pelican into a fresh directory, swap it in.

Nothing half-built is ever served: each build writes a new directory beside the output, and
the output path itself is a symbolic link that is replaced in one atomic ``rename`` only after
the build has finished and passed its checks. A failed or killed build leaves the previous
site serving.
"""
from __future__ import annotations

import datetime as dt
import functools
import gc
import json
import logging
import marshal
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ashyq import clock
from ashyq.files import atomic_write
from generator.apart import forking_is_safe
from generator.builds import (
    builds_dir, keep_mirror, one_build_at_a_time, prepare_spare, prune, read_quick,
    reads_a_spare_record, recyclable, recycle, swap_in, write_build_state, write_quick)
from generator.content_cache import ContentCache, TreeScan, stat_key, tree_stats
from generator.deps import (
    RECORD, Record, compliance_texts, day_fingerprints, digest, file_digest,
    fingerprints_apart, fingerprints_but_days, tree_digest, with_compliance,
)
from generator.render import RenderPath

if TYPE_CHECKING:
    from generator.content import SiteIndex

# Pelican, Jinja, Babel, most of the generator: imported where used (``quick_key``: none)

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SETTINGS_FILE = PROJECT_ROOT / "pelicanconf.py"
PELICAN_CACHE = "pelican"  # Pelican's folder under the build's cache (the kept rows in it)
#: Markdown files from which a build that indexes before its swap is made apart (``makes_apart``)
APART_FROM = 4000
MADE_RECORD = ".ashyq-deps.made"  # a build's record made apart, until its swap (then: RECORD)
#: From this many documents a rebuild's fingerprints are worked out in a forked process (0.45 s)
FINGERPRINTS_APART_FROM = 2000
#: From this many documents in the served build the tree is walked by SCAN_SHARES forked
#: processes, each a share of the documents' folders (``TreeScan``'s ``share``)
SCAN_APART_FROM, SCAN_SHARES = 2000, 2


class BuildFailed(Exception):
    "The build did not produce a complete site; the previous site is still served"


@dataclass(frozen=True)
class BuildResult:
    """Where the site went, what it holds, how long it took."""

    output: Path
    build_dir: Path
    documents: int
    pages: int
    seconds: float
    rendered: int = 0  # outputs rendered by this build
    carried: int = 0  # outputs carried over from the previous build unchanged
    swapped_at: float = 0.0  # time.time() when the new site was swapped in (0: no new site)


def quick_key(content: TreeScan, today: dt.date, shown: dict, key: str,
              reports: str | None, certificate: str | None) -> str:
    """What a build reads, hashed without reading it: the global key, the day, the public
    snapshot, and the names and stat keys of the content tree, the frozen reports and the
    portal certificate. Equal keys mean equal inputs, so an equal build need not even load the
    content; a different key says nothing (a file touched but unchanged) and the dependency
    record decides."""
    return digest(key, today, {k: v for k, v in shown.items() if k != "changes_upto"},
                  content.digest(), tree_stats(reports) if reports else None,
                  stat_key(certificate) if certificate else None)  # a file, not a folder


def pelican_settings(index: SiteIndex, build_dir: Path, cache_dir: Path,
                     site_url: str | None = None, snapshot: Path | None = None,
                     extra: dict | None = None) -> dict:
    """Pelican settings from ``pelicanconf.py`` with this build's paths and index.

    ``extra`` may set ``ASHYQ_REPORTS`` (the folder of frozen final reports, R17).
    """
    import generator.pelican_logging  # noqa: F401 - before Pelican's first import
    from jinja2 import FileSystemBytecodeCache
    from pelican.settings import read_settings

    overrides = {
        "PATH": str(index.content_dir.resolve()),
        "OUTPUT_PATH": str(build_dir),
        "I18N_SUBSITES": {"ru": {"OUTPUT_PATH": str(build_dir)}},
        "THEME": str(PROJECT_ROOT / "themes" / "ashyq"),
        "CACHE_PATH": str(cache_dir / PELICAN_CACHE),
        "I18N_GETTEXT_LOCALEDIR": str(cache_dir / "locale"),
        "ASHYQ_INDEX": index,
    }
    overrides.update({"ASHYQ_SITE_URL": site_url} if site_url else {})
    overrides.update({"ASHYQ_SNAPSHOT": str(snapshot)} if snapshot else {})
    overrides.update(extra or {})
    settings = read_settings(str(SETTINGS_FILE), override=overrides)
    # Templates compiled once and kept, each checked against its source (1.7 s a rebuild).
    (cache_dir / "jinja").mkdir(parents=True, exist_ok=True)
    compiled = FileSystemBytecodeCache(str(cache_dir / "jinja"))
    settings["JINJA_ENVIRONMENT"] = {**settings["JINJA_ENVIRONMENT"], "bytecode_cache": compiled}
    return settings


def render(index: SiteIndex, build_dir: Path, cache_dir: Path, site_url: str | None = None,
           snapshot: Path | None = None, extra: dict | None = None) -> None:
    """Run Pelican (kk main site, ru subsite) into ``build_dir``: its generators emit their
    outputs into the render path passed as ``extra["ASHYQ_RENDER"]``."""
    import generator.pelican_logging  # noqa: F401 - before Pelican's first import
    from pelican import Pelican
    from pelican.log import console as pelican_console
    from pelican.plugins.i18n_subsites import i18n_subsites

    settings = pelican_settings(index, build_dir, cache_dir, site_url, snapshot, extra)
    i18n_subsites._MAIN_SETTINGS = None  # noqa: SLF001 - a failed earlier run leaves it set
    for name in ("pelican", "pelican.generators", "pelican.writers"):
        logging.getLogger(name).setLevel(max(logging.WARNING, log.getEffectiveLevel()))
    quiet, pelican_console.quiet = pelican_console.quiet, True  # no "Done: ..." line
    try:
        Pelican(settings).run()
    finally:
        pelican_console.quiet = quiet
        # The plugin keeps the run's settings and generators (so the index) to the next run.
        i18n_subsites._MAIN_SETTINGS = None  # noqa: SLF001
        i18n_subsites._GENERATOR_DB.clear()  # noqa: SLF001


def let_go() -> None:
    """Return to the system what this process no longer holds (before Pagefind runs beside
    it for minutes: the build and Pagefind's part passed 1 GB together at 20,000
    documents). The collector gets back what was kept from it (``gc.freeze``)."""
    import ctypes

    gc.unfreeze()
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)  # glibc keeps freed pages otherwise
    except (OSError, AttributeError):
        pass


def pelicanconf_site_url() -> str:
    import generator.pelican_logging  # noqa: F401 - before Pelican's first import
    from pelican.settings import read_settings

    return read_settings(str(SETTINGS_FILE))["ASHYQ_SITE_URL"]


def global_key(site_url: str | None, settings: dict | None, reports: str | None) -> str:
    """What makes every page change: code, templates, catalogs and the build's settings (a
    theme given in ``settings`` counts with its files)."""
    settings = {k: v for k, v in (settings or {}).items() if k != "ASHYQ_REPORTS"}
    theme = settings.get("THEME")
    return digest(code_digest(), site_url, settings, reports,
                  tree_digest(Path(theme), ("templates", "static")) if theme else None)


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    return tree_digest(PROJECT_ROOT)


def budget_files(index: SiteIndex) -> list[Path]:
    from ashyq.budget import DATA_DIR

    folder = index.content_dir / DATA_DIR
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def certificate_input(record: Record, source: str | None) -> None:
    """The certificate's key in the record: the file's own digest (before any comparison)."""
    if source and Path(source).is_file():
        record.inputs["certificate"] = file_digest(Path(source))


def emit_certificate(sink, record: Record, source: str | None) -> None:
    """``/opendata/portal-certificate.pem``: what the reports' signatures and the proposal
    receipts are checked against (issue 15); its key is the file's own digest."""
    from generator.reports import CERTIFICATE

    if "certificate" in record.inputs:
        sink.emit_copy(CERTIFICATE, ("certificate",), Path(source))


def _unfreezing(func):
    """Run ``func`` with the cyclic collector off (full collections walking the index and the
    records were half an edit's CPU time at 2,000 documents; the render path turns it on
    while it renders many pages), then give what it froze (``gc.freeze``) back to the
    collector: the worker and the preview build many times in one process."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        enabled = gc.isenabled()
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            gc.unfreeze()
            if enabled:
                gc.enable()
    return wrapper


def build(content_dir: Path, output: Path, **options) -> BuildResult:
    """Build ``content_dir`` into ``output`` (:func:`_build`), one build of a site at a time."""
    with one_build_at_a_time(output):
        return _build(content_dir, output, **options)


@dataclass
class Job:
    """What making a build directory needs (:func:`make_build_dir`), found before reading."""

    content_dir: Path
    output: Path
    current: Path | None  # the build being served
    cache_dir: Path
    today: dt.date
    shown: dict  # the public snapshot
    key: str  # ``global_key``
    quick: str  # ``quick_key``
    scan: TreeScan
    build_dir: Path  # where the new build is made, if one is
    site_url: str | None = None
    snapshot: Path | None = None
    settings: dict | None = None
    workers: int | None = None
    early: dict = field(default_factory=dict)  # read while the tree was walked (_build)


@dataclass
class Made:
    """A build directory made and checked, not yet indexed nor swapped in (``build_dir`` None:
    nothing any output depends on changed; the served build's quick key was renewed)."""

    build_dir: Path | None
    documents: int
    pages: int
    outputs: int
    rendered: int = 0
    carried: int = 0
    pages_changed: bool = False
    record: Record | None = None  # None: saved as MADE_RECORD (made apart)
    index: SiteIndex | None = field(default=None, repr=False)  # made here: let go before
    cache: ContentCache | None = field(default=None, repr=False)  # Pagefind runs
    #: the served build's record, and what may differ from its files (None: any): keep_mirror
    held: tuple[Record, list[str] | None] | None = field(default=None, repr=False)

    def let_go(self) -> None:
        """Save the content cache and drop the content and the served build's record (before
        Pagefind runs beside: the build served before is then not kept as this one's files)."""
        if self.cache is not None:
            self.cache.save()
        self.index = self.cache = self.held = None
        let_go()


def makes_apart(job: Job, search: str) -> bool:
    """Whether to make the build directory in a forked process that exits (``generator.apart``):
    a large site (APART_FROM Markdown files) whose search index is made before the swap (a
    cold build: Pagefind runs for minutes beside the build), forked only where no other
    thread runs (a server's threads may hold locks)."""
    from generator.search import indexes_before_swap

    return (forking_is_safe()
            and indexes_before_swap(job.current, search)
            and sum(1 for name in job.scan.files if name.endswith(".md")) >= APART_FROM)


@_unfreezing
def _build(content_dir: Path, output: Path, *, cache_dir: Path | None = None,
           today: dt.date | None = None, site_url: str | None = None,
           snapshot: Path | None = None, settings: dict | None = None,
           workers: int | None = None, search: str = "auto") -> BuildResult:
    """Validate ``content_dir``, build the site and swap it in at ``output``.

    Only the outputs whose inputs changed since the build now at ``output`` are rendered; the
    others are carried over by hard link (``generator.deps``, ``generator.render``). With no
    previous build, or after a change of templates, catalogs, settings or code, everything is
    rendered, on ``workers`` processes (default: every core).

    ``snapshot`` is the submission service's public snapshot (JSON): published proposals,
    answers and vote totals shown on the document pages. ``settings`` overrides Pelican
    settings (e.g. ``NCALAYER_URL``). ``search``: ``"wait"`` indexes the site for search
    before the swap; ``"background"`` swaps first and re-indexes in a background process (the
    previous index stays served until the new one is complete); ``"auto"`` waits only when
    there is no previous index.

    Raises :class:`generator.content.ContentInvalid` (nothing built) or :class:`BuildFailed`
    (previous output untouched).
    """
    from generator.apart import ApartFailed, reap_answered, run_apart, start_apart

    started = time.perf_counter()
    output = Path(output).absolute()
    current = output.resolve() if output.is_symlink() and output.resolve().is_dir() else None
    known = read_quick(current)
    root = Path(content_dir).resolve()
    # The tree is walked once (the quick key, the index): for a large site by forked processes
    # (40,000 stat calls at 20,000 passports, 0.2-1.3 s), while this one imports what it needs.
    walking = [start_apart(TreeScan, root, (n, SCAN_SHARES)) for n in range(SCAN_SHARES)] if (
        forking_is_safe() and known.get("documents", -1) >= SCAN_APART_FROM) else []
    cache_dir = Path(cache_dir or PROJECT_ROOT / "var" / "cache").absolute()
    early: dict = {}
    try:
        from generator.search import SearchIndexFailed, search_index, start_background_index
        if walking:  # what making a build directory imports (Pelican, Jinja, Markdown)
            import generator.listing  # noqa: F401
            import generator.site  # noqa: F401
            import holidays.countries  # noqa: F401 - the calendar's, at its first day (0.07 s)
            # and what it reads first, until the walk is done (nothing changed: not needed)
            for name, read in (("previous", lambda: Record.load(current)), ("cache", lambda:
                               ContentCache(cache_dir / "content").read_documents())):
                if all(walk.done() for walk in walking):
                    break
                early[name] = read()
        shown = json.loads(Path(snapshot).read_text(encoding="utf-8")) if snapshot else {}
        today = today or clock.today()
        reports = (settings or {}).get("ASHYQ_REPORTS")
        certificate = (settings or {}).get("ASHYQ_PORTAL_CERTIFICATE")
        key = global_key(site_url, settings, reports)
        scan = TreeScan.joined([w.result() for w in walking]) if walking else TreeScan(root)
    except ApartFailed as exc:  # killed (out of memory): nothing was made
        raise BuildFailed(f"walking the content failed: {exc}") from exc
    finally:
        for walk in walking:
            walk.cancel()  # (an exception here: its answer is not wanted)
    job = Job(Path(content_dir), output, current, cache_dir, today, shown, key,
              quick_key(scan, today, shown, key, reports, certificate), scan,
              builds_dir(output) / f"build-{time.time_ns()}", site_url, snapshot, settings,
              workers, early)
    if known.get("key") == job.quick:  # nothing read since the served build changed
        made = Made(None, known["documents"], known["pages"], known["outputs"])
    elif makes_apart(job, search):
        try:
            made = run_apart(make_build_dir, job, apart=True)
        except ApartFailed as exc:  # killed: what it made is not trusted
            shutil.rmtree(job.build_dir, ignore_errors=True)
            raise BuildFailed(str(exc)) from exc
    else:
        made = make_build_dir(job)
    job.early.clear()  # (read for the child, or not needed: not held to the end)
    if made.build_dir is None:
        reap_answered()  # (made apart: the process that found nothing to do)
        write_build_state(current, int(shown.get("changes_upto", 0)))
        seconds = time.perf_counter() - started
        log.info("nothing changed since the build at %s (%.1f s)", current, seconds)
        return BuildResult(output, current, made.documents, made.pages, seconds, 0,
                           made.outputs)
    build_dir = made.build_dir
    try:
        record = made.record or Record.from_bytes((build_dir / MADE_RECORD).read_bytes(), index_only=True)
        background = search_index(build_dir, current, made.pages_changed, search, record,
                                  made.let_go)
    except SearchIndexFailed as exc:
        shutil.rmtree(build_dir, ignore_errors=True)
        raise BuildFailed(str(exc)) from exc
    except BaseException:
        shutil.rmtree(build_dir, ignore_errors=True)
        raise
    swap_in(output, build_dir)
    swapped_at = time.time()
    reap_answered()  # (the process that made it, if apart: ended by now)
    # After the swap (a second at 20,000): killed before it, the build is served without a
    # record, which recycle(), the quick key and the worker's updates need; the next renders all.
    if made.record is None:
        os.replace(build_dir / MADE_RECORD, build_dir / RECORD)
    else:
        record.save(build_dir)
    write_quick(build_dir, job.quick, made.documents, made.pages, made.outputs)
    if made.cache is not None:
        made.cache.save()
    if background:  # (with a cold build's spare, made after the index: not beside it)
        start_background_index(build_dir, spare=made.held is None)
    prune(output)
    if made.record is None and (made.held is not None or not background):
        record = Record.load(build_dir)  # the whole (the index read only its part: 1 GB)
    if made.held is not None:
        if not keep_mirror(output, build_dir, record, *made.held):
            prepare_spare(output, build_dir, record)
    elif not background:
        prepare_spare(output, build_dir, record)
    seconds = time.perf_counter() - started
    log.info("built %d pages of %d documents into %s in %.1f s (%d rendered, %d carried over)",
             made.pages, made.documents, output, seconds, made.rendered, made.carried)
    return BuildResult(output, build_dir, made.documents, made.pages, seconds,
                       made.rendered, made.carried, swapped_at)


def make_build_dir(job: Job, apart: bool = False) -> Made:
    """Read and check the content, and make the new build directory from it (only the
    outputs whose inputs changed rendered, the others carried over), or renew the served
    build's quick key when nothing any output depends on changed. ``apart``: in a child
    process (``run_apart``) that exits after it: the content cache is saved and the record
    written as MADE_RECORD."""
    from ashyq.i18n import compile_catalogs
    from generator.apart import ApartFailed, start_apart
    from generator.assets import serve_theme
    from generator.content import load_content
    from generator.listing import emit_open_data, emit_open_data_rows
    from generator.manifest import MANIFEST_PATH
    from generator.publication import first_served_dates, record_from_snapshot, write_served
    from generator.rows import rows_folder
    from generator.site import prepare_index
    from generator.sitemap import emit_sitemap

    settings, shown, current = job.settings or {}, job.shown, job.current
    reports, certificate = settings.get("ASHYQ_REPORTS"), settings.get("ASHYQ_PORTAL_CERTIFICATE")
    early, job.early = job.early, {}  # taken: not held by the job to the end
    cache = early.pop("cache") if "cache" in early else ContentCache(job.cache_dir / "content")
    # R9, R10, R12: posting dates from the publication record the service keeps
    used = first_served_dates(record_from_snapshot(shown))
    workers = job.workers or os.cpu_count() or 1
    index = load_content(job.content_dir, job.today, used, cache=cache, scan=job.scan,
                         workers=workers)
    forks = (workers > 1 and current is not None and forking_is_safe()
             and len(index.documents) >= FINGERPRINTS_APART_FROM)
    # the texts hashed there when this process also reads a kept build's record (0.2 s)
    texts_apart = forks and reads_a_spare_record(job.output, current)
    child = start_apart(fingerprints_apart, index, shown, reports, budget_files(index),
                        texts_apart) if forks else None
    try:
        catalogs = compile_catalogs(job.cache_dir / "locale")
        previous = early.pop("previous") if "previous" in early else Record.load(current)
        # asked before it is known to be needed: read while the fingerprints are worked out
        candidate = recyclable(job.output, previous) if child else None
        prepare_index(index, catalogs)
        days = day_fingerprints(index, shown)  # (the child works out the others)
        texts = compliance_texts(index) if child and not texts_apart else None
        try:
            if child:
                found, shared, theirs = marshal.loads(child.result())
                others = with_compliance(found, shared, texts or theirs, index.administrators)
            else:
                others = fingerprints_but_days(index, shown, reports, budget_files(index))
        except ApartFailed as exc:  # killed (out of memory): nothing was made
            raise BuildFailed(f"working out what changed failed: {exc}") from exc
        record = Record(job.key, {**others, **days})
    finally:
        if child:
            child.cancel()  # (an exception here: its answer is not wanted)
    certificate_input(record, certificate)
    gc.freeze()  # the index and the records stay to the end: no collection walks them
    if previous and (previous.global_key, previous.inputs) == (record.global_key, record.inputs):
        # Nothing any output depends on changed (files touched, not changed): renew the key.
        pages = previous.count_pages()
        write_quick(current, job.quick, len(index.documents), pages, len(previous.outputs))
        cache.save()
        return Made(None, len(index.documents), pages, len(previous.outputs))
    build_dir = job.build_dir
    build_dir.parent.mkdir(parents=True, exist_ok=True)
    spare = recycle(build_dir, candidate if child else recyclable(job.output, previous))
    sink = RenderPath(build_dir, record, previous=previous, previous_dir=current,
                      workers=workers, spare=spare, unserved=True)
    rows = rows_folder(job.cache_dir / PELICAN_CACHE, record.global_key)
    try:
        names = emit_open_data_rows(sink, index, shown, rows)  # made beside the listing
        sink.flush(beside=True)  # (the other core idled while it listed: an add at 20,000)
        render(index, build_dir, job.cache_dir, job.site_url, job.snapshot,
               {**settings, "ASHYQ_RENDER": sink})
        serve_theme(build_dir)  # compacted (page weight), under content-hashed names too
        emit_certificate(sink, record, certificate)
        emit_open_data(sink, index, shown, rows, names)
        emit_sitemap(sink, index, job.site_url or pelicanconf_site_url())
        sink.flush()  # all at once: the processes that render share all the work
        sink.drop_stale()
        missing = [p for p in (MANIFEST_PATH, "index.html", "kk/index.html", "ru/index.html")
                   if not (build_dir / p).exists()]
        if missing:
            raise BuildFailed(f"the build wrote no {', '.join(missing)}")
        write_build_state(build_dir, int(shown.get("changes_upto", 0)))
        write_served(build_dir, index, clock.now(), used)  # for the publication record
        made = Made(build_dir, len(index.documents), record.count_pages(), len(record.outputs),
                    len(sink.rendered), sink.carried,
                    # the previous build's index serves only the same pages at the same
                    # versions: a page kept from the recycled directory may differ from
                    # the previous build's (an edit taken back renders nothing)
                    sink.previous is None or record.indexed != sink.previous.indexed,
                    record, index, cache, (previous, list(sink.rendered) if spare is not None
                                           and spare is previous else None))
        if apart:
            atomic_write(build_dir / MADE_RECORD, record.to_bytes())
            cache.save()
            made.record = made.index = made.cache = made.held = None
    except BaseException:
        sink.stop_beside()
        shutil.rmtree(build_dir, ignore_errors=True)
        raise
    return made
