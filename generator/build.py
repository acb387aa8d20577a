"""Build orchestration: validate the content, run Pelican into a fresh directory, swap it in.

Nothing half-built is ever served: each build writes a new directory beside the output, and
the output path itself is a symbolic link that is replaced in one atomic ``rename`` only after
the build has finished and passed its checks. A failed or killed build leaves the previous
site serving.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import functools
import gc
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ashyq import clock
from ashyq.files import atomic_write
from generator.content_cache import ContentCache, TreeScan, stat_key, tree_stats
from generator.deps import RECORD, Record, digest, file_digest, fingerprints, tree_digest
from generator.render import RenderPath

if TYPE_CHECKING:
    from generator.content import SiteIndex

# Pelican, Jinja, Babel and the rest of the generator are imported where they are used: a
# rebuild with nothing changed (``quick_key``) needs none of them (a second of start-up).

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SETTINGS_FILE = PROJECT_ROOT / "pelicanconf.py"
KEEP_PREVIOUS_BUILDS = 1  # the next build recycles it (``recycle``)
BUNDLE_GRACE = 3600  # seconds an unlinked search bundle is kept (an indexer may be at work)
#: Which submission-service changes a build (or the rebuild worker since) has shown.
BUILD_STATE = ".ashyq-build.json"


#: The hash of everything a build read, by names and stat keys (``quick_key``), with its counts.
QUICK_STATE = ".ashyq-quick.json"


def read_build_state(build_dir: Path) -> dict:
    path = Path(build_dir) / BUILD_STATE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"changes_upto": 0}


def write_build_state(build_dir: Path, changes_upto: int) -> None:
    """Record (atomically) that the site shows every change up to ``changes_upto``."""
    atomic_write(Path(build_dir) / BUILD_STATE, json.dumps({"changes_upto": changes_upto}) + "\n")


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


def read_quick(build_dir: Path | None) -> dict:
    try:
        return json.loads((Path(build_dir) / QUICK_STATE).read_text(encoding="utf-8"))
    except (TypeError, OSError, ValueError):
        return {}


def write_quick(build_dir: Path, key: str, documents: int, pages: int, outputs: int) -> None:
    atomic_write(Path(build_dir) / QUICK_STATE, json.dumps(
        {"key": key, "documents": documents, "pages": pages, "outputs": outputs}) + "\n")


def count_pages(record: Record) -> int:
    return sum(1 for p in record.outputs if p.endswith(".html"))


def forget_quick(build_dir: Path) -> None:
    """The build was changed in place (``generator.incremental``): its quick key is stale."""
    (Path(build_dir) / QUICK_STATE).unlink(missing_ok=True)


def builds_dir(output: Path) -> Path:
    """The folder that holds the real build directories ``output`` links to."""
    return output.parent / f".{output.name}.builds"


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
        "CACHE_PATH": str(cache_dir / "pelican"),
        "I18N_GETTEXT_LOCALEDIR": str(cache_dir / "locale"),
        "ASHYQ_INDEX": index,
    }
    if site_url:
        overrides["ASHYQ_SITE_URL"] = site_url
    if snapshot:
        overrides["ASHYQ_SNAPSHOT"] = str(snapshot)
    overrides.update(extra or {})
    settings = read_settings(str(SETTINGS_FILE), override=overrides)
    # Templates compiled once and kept (a rebuild of two pages spent 1.7 s compiling them);
    # Jinja checks each cached template against its source.
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
        # The plugin keeps the run's settings and generators (so the index) until the next
        # run; nothing reads them after this one.
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


def swap_in(output: Path, build_dir: Path) -> None:
    """Point ``output`` at ``build_dir`` in one atomic rename of a symbolic link."""
    link = output.parent / f".{output.name}.swap-{os.getpid()}"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(os.path.relpath(build_dir, output.parent))
    if output.exists() and not output.is_symlink():
        # A real directory from before: keep it as an old build (the one non-atomic step).
        output.rename(builds_dir(output) / f"previous-{time.time_ns()}")
    os.replace(link, output)


def older_builds(output: Path) -> list[Path]:
    """The build directories beside the served one, newest first (search bundles, the index's
    parts and what is being deleted left out)."""
    from generator.search import PARTS_STORE

    current = output.resolve() if output.is_symlink() else None
    folder = builds_dir(output)
    return sorted((p for p in folder.iterdir() if p.is_dir() and p.name != PARTS_STORE
                   and not p.name.startswith(("search-", "trash-")) and p.resolve() != current),
                  key=lambda p: p.stat().st_mtime, reverse=True)


def recycle(output: Path, build_dir: Path) -> Record | None:
    """Make ``build_dir`` from the oldest build kept beside the served one, if it has a
    record: renamed (never served again: the served build is newer), its record and state
    dropped first, so that a build killed half-way leaves a folder no later build trusts. Its
    unchanged files stay; making 70,000 folders and linking 130,000 files again was most of
    an edit at 20,000 documents. Returns its record, or None (``build_dir`` made empty)."""
    from generator.search import BUNDLE_DIR, search_pending

    olds = [p for p in older_builds(output) if p.name.startswith("build-")
            and not search_pending(p)]
    spare = Record.load(olds[-1]) if olds else None
    if spare is None:
        build_dir.mkdir()
        return None
    olds[-1].rename(build_dir)
    for name in (RECORD, QUICK_STATE, BUILD_STATE, BUNDLE_DIR):
        (build_dir / name).unlink(missing_ok=True)
    shutil.rmtree(build_dir / "theme", ignore_errors=True)  # Pelican's copy: written anew
    log.info("recycling %s (%d files)", olds[-1].name, len(spare.outputs))
    return spare


def prune(output: Path) -> None:
    """Delete old build directories, keeping the current one and a few before it, and the
    search bundles no kept build links to (unless young: an indexer may be at work).

    What goes is first renamed ``trash-*`` (instant, and never served), then deleted by a
    detached process: deleting 70,000 files must not hold up the next build."""
    from generator.search import BUNDLE_DIR, PARTS_STORE, bundle_parts

    folder = builds_dir(output)
    doomed = older_builds(output)[KEEP_PREVIOUS_BUILDS:]
    linked = {(p / BUNDLE_DIR).resolve() for p in folder.iterdir()
              if (p / BUNDLE_DIR).is_symlink() and p not in doomed}
    young = time.time() - BUNDLE_GRACE
    doomed += [bundle for bundle in folder.glob("search-*")
               if bundle.is_dir() and bundle.resolve() not in linked
               and bundle.stat().st_mtime < young]
    # the index's parts that no bundle kept links
    kept = set().union(*(bundle_parts(b) for b in folder.glob("search-*") if b not in doomed))
    store = folder / PARTS_STORE
    doomed += [part for part in (store.iterdir() if store.is_dir() else ())
               if (store / part.name.removesuffix(".name")).resolve() not in kept
               and part.stat().st_mtime < young]
    for old in doomed:
        old.rename(folder / f"trash-{old.parent.name}-{old.name}")
    if any(folder.glob("trash-*")):  # also what an earlier remover left
        idle = ["ionice", "-c", "3"] if shutil.which("ionice") else []
        subprocess.run(["setsid", "-f", *idle, sys.executable, "-c", REMOVER, str(folder)],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)


#: The detached remover of a builds folder's ``trash-*``: one at a time (a second exits: the
#: first looks again after it lets go of the lock; three removers of one tree were seen
#: slowing the next build), at the lowest CPU and (with ``ionice``) disk priority.
REMOVER = """
import fcntl, os, shutil, sys
os.nice(19)
folder, tried = sys.argv[1], None

def trash():
    return sorted(e.path for e in os.scandir(folder) if e.name.startswith("trash-"))
while True:
    with open(os.path.join(folder, ".trash.lock"), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            sys.exit(0)
        found = trash()
        while found and found != tried:
            for path in found:
                shutil.rmtree(path, True)
            tried, found = found, trash()
    found = trash()
    if not found or found == tried:  # a remover turned away meanwhile left nothing
        break
"""


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


@contextlib.contextmanager
def one_build_at_a_time(output: Path):
    """Hold ``output``'s build lock (``flock`` on a file beside the builds): the worker, the
    command and the preview may start builds of one site at once; the second waits, so a
    recycled directory is never taken twice and an older build never swaps in over a newer
    one. A killed build's lock goes with its process."""
    folder = builds_dir(Path(output).absolute())
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def build(content_dir: Path, output: Path, **options) -> BuildResult:
    """Build ``content_dir`` into ``output`` (:func:`_build`), one build of a site at a time."""
    with one_build_at_a_time(output):
        return _build(content_dir, output, **options)


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
    started = time.perf_counter()
    output = Path(output).absolute()
    cache_dir = Path(cache_dir or PROJECT_ROOT / "var" / "cache").absolute()
    shown = json.loads(Path(snapshot).read_text(encoding="utf-8")) if snapshot else {}
    today = today or clock.today()
    reports = (settings or {}).get("ASHYQ_REPORTS")
    certificate = (settings or {}).get("ASHYQ_PORTAL_CERTIFICATE")
    key = global_key(site_url, settings, reports)
    current = output.resolve() if output.is_symlink() and output.resolve().is_dir() else None
    scan = TreeScan(Path(content_dir).resolve())  # walked once: the quick key, the index
    quick = quick_key(scan, today, shown, key, reports, certificate)

    def unchanged(documents: int, pages: int, outputs: int) -> BuildResult:
        """The site being served is this build: only the shown changes are noted."""
        write_build_state(current, int(shown.get("changes_upto", 0)))
        seconds = time.perf_counter() - started
        log.info("nothing changed since the build at %s (%.1f s)", current, seconds)
        return BuildResult(output, current, documents, pages, seconds, 0, outputs)
    known = read_quick(current)
    if known.get("key") == quick:  # nothing read since the served build changed
        return unchanged(known["documents"], known["pages"], known["outputs"])
    from ashyq.i18n import compile_catalogs
    from generator.assets import serve_theme
    from generator.content import load_content
    from generator.listing import emit_open_data
    from generator.manifest import MANIFEST_PATH
    from generator.publication import first_served_dates, record_from_snapshot, write_served
    from generator.search import SearchIndexFailed, search_index, start_background_index
    from generator.site import prepare_index
    from generator.sitemap import emit_sitemap

    cache = ContentCache(cache_dir / "content")
    # R9, R10, R12: posting dates from the publication record the service keeps
    used = first_served_dates(record_from_snapshot(shown))
    index = load_content(Path(content_dir), today, used, cache=cache, scan=scan)
    prepare_index(index, compile_catalogs(cache_dir / "locale"))
    record = Record(key, fingerprints(index, shown, reports, budget_files(index)))
    certificate_input(record, certificate)
    previous = Record.load(current)
    gc.freeze()  # the index and the records stay to the end: no collection walks them
    if previous and (previous.global_key, previous.inputs) == (record.global_key, record.inputs):
        # Nothing any output depends on changed (files touched, not changed): renew the key.
        pages = count_pages(previous)
        write_quick(current, quick, len(index.documents), pages, len(previous.outputs))
        cache.save()
        return unchanged(len(index.documents), pages, len(previous.outputs))
    builds_dir(output).mkdir(parents=True, exist_ok=True)
    build_dir = builds_dir(output) / f"build-{time.time_ns()}"
    spare = recycle(output, build_dir)
    sink = RenderPath(build_dir, record, previous=previous, previous_dir=current,
                      workers=workers or os.cpu_count() or 1, spare=spare)
    try:
        render(index, build_dir, cache_dir, site_url, snapshot,
               {**(settings or {}), "ASHYQ_RENDER": sink})
        serve_theme(build_dir)  # compacted (page weight), under content-hashed names too
        sink.flush()
        emit_certificate(sink, record, certificate)
        emit_open_data(sink, index, shown)
        emit_sitemap(sink, index, site_url or pelicanconf_site_url())
        sink.flush()
        sink.drop_stale()
        missing = [p for p in (MANIFEST_PATH, "index.html", "kk/index.html", "ru/index.html")
                   if not (build_dir / p).exists()]
        if missing:
            raise BuildFailed(f"the build wrote no {', '.join(missing)}")
        write_build_state(build_dir, int(shown.get("changes_upto", 0)))
        write_served(build_dir, index, clock.now(), used)  # for the publication record
        pages_changed = any(p.endswith(".html") for p in sink.rendered) or sink.previous is None
        documents = len(index.documents)

        def before_indexing() -> None:
            """The index is made here: the content index is no longer needed."""
            nonlocal index, cache
            cache.save()
            index = cache = None
            let_go()
        try:
            background = search_index(build_dir, current, pages_changed, search, record,
                                      before_indexing)
        except SearchIndexFailed as exc:
            raise BuildFailed(str(exc)) from exc
    except BaseException:
        shutil.rmtree(build_dir, ignore_errors=True)
        raise
    swap_in(output, build_dir)
    swapped_at = time.time()
    # After the swap (a second at 20,000 documents): killed before it, the build is served
    # without a record and the next build renders everything; no build trusts it meanwhile
    # (recycle() and the quick key need the record, the worker's updates skip a build without).
    record.save(build_dir)
    pages = count_pages(record)
    write_quick(build_dir, quick, documents, pages, len(record.outputs))
    if cache is not None:
        cache.save()
    if background:
        start_background_index(build_dir)
    prune(output)
    seconds = time.perf_counter() - started
    log.info("built %d pages of %d documents into %s in %.1f s (%d rendered, %d carried over)",
             pages, documents, output, seconds, len(sink.rendered), sink.carried)
    return BuildResult(output, build_dir, documents, pages, seconds,
                       len(sink.rendered), sink.carried, swapped_at)
