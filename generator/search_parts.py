"""The search index in parts: Pagefind runs over a build's pages, a part at a time, into a
bundle beside the build (``generator.search`` decides when: before the swap or after it).

Pagefind is the binary shipped in the ``pagefind`` package from PyPI (``pagefind[extended]``):
nothing is downloaded at build time.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import time
import zlib
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from ashyq.doctypes import LANGUAGES
from ashyq.files import atomic_write

log = logging.getLogger(__name__)

BUNDLE_DIR = "pagefind"
#: Parts of indexed pages left out of the index: menus, the participation widgets, and the
#: published proposals with their answers and totals, also a closed discussion's result -
#: these change with every decision, which the rebuild worker shows on the page without
#: re-indexing (they are in /opendata/), so the index depends on the content alone and stays
#: equal to a full build's (the inputs they show: ``generator.deps.UNINDEXED_KEYS``).
#: Also what every document page says alike (the feed links, following by e-mail: a search
#: for "RSS" found every discussion) and the figures in tables (``td.num``: Pagefind splits
#: "30 439 963" into three words found anywhere - no amount can be searched for - and they
#: were a third of a passport's words: issue 10, a part of 2,502 passport pages took 35 % less
#: memory and 28 % less time without these). A table's row and column names stay indexed.
EXCLUDE_SELECTORS = (".crumbs", ".toc", ".take-part", ".proposals-h", ".proposals", ".anchor",
                     "form", "noscript", ".result", ".follow", ".feed-links", "td.num")
TIMEOUT = 600  # seconds; Pagefind takes a few seconds per 10,000 pages


class SearchIndexFailed(Exception):
    "Pagefind did not write a search index for every language"


class Superseded(Exception):
    "Another build was swapped in: the background index of this one would serve no one"


def pagefind_command() -> list[str]:
    """How to run Pagefind: the binary of the installed ``pagefind_bin`` package."""
    if os.environ.get("PAGEFIND_BINARY_PATH"):
        return [os.environ["PAGEFIND_BINARY_PATH"]]
    for module in ("pagefind_bin_extended", "pagefind_bin"):
        try:
            binary = __import__(module).get_executable()
        except (ImportError, FileNotFoundError):
            continue
        return [str(binary)]
    found = shutil.which("pagefind_extended") or shutil.which("pagefind")
    if found:
        return [found]
    raise SearchIndexFailed("Pagefind is not installed: pip install 'pagefind[extended]'")


def index_site(site: Path, languages: tuple[str, ...] = LANGUAGES,
               bundle: Path | None = None) -> dict:
    """Index the built ``site`` with Pagefind into ``bundle`` (default ``site/pagefind``);
    returns its entry file (languages and page counts). Raises :class:`SearchIndexFailed`."""
    site = Path(site)
    bundle = Path(bundle) if bundle else site / BUNDLE_DIR
    command = [*pagefind_command(), "--site", str(site), "--output-path", str(bundle),
               "--quiet"]
    for selector in EXCLUDE_SELECTORS:
        command += ["--exclude-selectors", selector]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT,
                                check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SearchIndexFailed(f"Pagefind did not run: {exc}") from exc
    if result.returncode != 0:
        raise SearchIndexFailed(f"Pagefind failed ({result.returncode}): "
                                f"{(result.stderr or result.stdout).strip()[-2000:]}")
    entry_file = bundle / "pagefind-entry.json"
    if not entry_file.exists():
        raise SearchIndexFailed(f"Pagefind wrote no {entry_file}")
    entry = json.loads(entry_file.read_text(encoding="utf-8"))
    # Pagefind lists the languages in no fixed order: sort them, so that the same site gives
    # the same bytes (the rest of the bundle already does).
    atomic_write(entry_file, json.dumps(entry, ensure_ascii=False, separators=(",", ":"),
                                        sort_keys=True))
    missing = [lang for lang in languages
               if not entry.get("languages", {}).get(lang, {}).get("page_count")]
    if missing:
        raise SearchIndexFailed(f"the search index has no pages in {', '.join(missing)}")
    log.info("search index: %s", ", ".join(f"{lang} {info['page_count']} pages"
                                           for lang, info in entry["languages"].items()))
    return entry


# -- the index beside a build: built before the swap, or in the background after it ----------
# A build directory's ``pagefind`` is a symbolic link to a bundle folder beside the build
# directories (``../search-<build>``). A build whose pages did not change keeps the previous
# build's link; one whose pages changed either indexes before its swap, or is swapped in with
# the previous link and re-pointed - in one atomic rename - once its own bundle is complete.
#
# The index is made in parts (issue 10): Pagefind holds a whole run's index in memory (≈ 150 KB
# a page) and cannot update one, so the indexed pages (``Record.indexed``) are split into parts
# of at most PART_PAGES pages (by the quarter of their document, then by a hash), each indexed
# by its own Pagefind run into ``searchparts/<key>``, where ``key`` is a hash of its pages'
# index versions (``generator.deps.index_version``: their inputs, kept while a page's bytes
# stay). A bundle lists its parts in ``parts.json``, by a hash of their files, and links them;
# the search page loads the first and merges the others (Pagefind's ``mergeIndex``). A rebuild
# re-indexes only the parts where a page reads differently (a new day changes the inputs of
# every coming discussion, seldom its text).
PART_PAGES = 3000
#: Pagefind runs at a time (``ASHYQ_SEARCH_RUNS``, at most the cores). A run keeps about 1.5
#: cores busy; two side by side make parts 1.45 times as fast on two cores. A run's memory
#: grows with the words it indexes: up to 550 MB at 3,000 pages took two runs over the 1 GB
#: of issue 10; without the figures and the repeated words (EXCLUDE_SELECTORS) ~370 MB.
SEARCH_RUNS = 2
#: A site's first index (nothing served before it) is begun before the swap: once the parts
#: not begun would take no more than this many seconds (``ASHYQ_SEARCH_AFTER_SWAP``), they are
#: made after it - the search is at most a minute behind the pages (issue 10; a site of one
#: part is indexed whole before its swap). The rest is indexed with the machine otherwise idle
#: (the spare build is prepared after it). At 20,000 documents, two runs at a time, 40 s
#: estimated were indexed 46.7-48.5 s after the swap in three runs (one with the file system
#: busy): the indexer's start and its smaller last parts; 11 s of margin are left (one run at
#: a time once took 61 s for 45 s left, the file system slowed by a mass deletion).
AFTER_SWAP = 40
PARTS_STORE = "searchparts"
PARTS_FILE = "parts.json"


def bundle_dir(build_dir: Path) -> Path:
    return build_dir.parent / f"search-{build_dir.name}"


def pending_file(build_dir: Path) -> Path:
    return build_dir.parent / f"search-{build_dir.name}.pending"


def link_bundle(build_dir: Path, bundle: Path) -> None:
    """Point ``build_dir/pagefind`` at ``bundle`` in one rename (readers see old or new)."""
    tmp = build_dir / f".{BUNDLE_DIR}.{os.getpid()}.link"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(os.path.relpath(bundle, build_dir))
    os.replace(tmp, build_dir / BUNDLE_DIR)


def part_pages() -> int:
    """``ASHYQ_SEARCH_PART_PAGES``, or PART_PAGES; a value that is no positive number fails
    the index with a message (the build then fails, or the previous index stays served)."""
    return _positive("ASHYQ_SEARCH_PART_PAGES", PART_PAGES, "a number of pages")


def search_runs() -> int:
    """``ASHYQ_SEARCH_RUNS`` or SEARCH_RUNS, no more than the cores; checked as
    :func:`part_pages`."""
    return min(_positive("ASHYQ_SEARCH_RUNS", SEARCH_RUNS, "a number of Pagefind runs at a time"),
               os.cpu_count() or 1)


def _positive(name: str, default: int, what: str) -> int:
    text = os.environ.get(name) or str(default)
    if not text.isdigit() or int(text) < 1:
        raise SearchIndexFailed(f"{name}={text!r}: {what}, 1 or more")
    return int(text)


def index_parts(record) -> dict[str, list[str]]:
    """The parts of the index: their keys and pages, in order. A site that fits one part has
    one; a larger one is split by its pages' groups (a document's quarter: statuses change on
    recent documents, so a new day re-indexes a quarter or two, not every part) and each
    group by a hash of the path below the language into a power of two of parts of at most
    ``part_pages()`` (so a document's pages in both languages share a part, and the number
    of parts seldom changes)."""
    from generator.deps import digest

    pages = sorted(record.indexed)
    size = part_pages()
    grouped = len(pages) > size
    groups: dict[str, list[str]] = {}
    for path in pages:
        groups.setdefault(record.indexed[path].rpartition("/")[0] if grouped else "",
                          []).append(path)
    found: dict[str, list[str]] = {}
    for group, paths in sorted(groups.items()):
        count = 1
        while len(paths) > count * size:
            count *= 2
        parts: dict[int, list[str]] = {}
        for path in paths:
            lang, _, rest = path.partition("/")
            parts.setdefault(zlib.crc32((rest if lang in LANGUAGES else path).encode()) % count,
                             []).append(path)
        # keyed by its pages' index versions: the same pages with the same text index alike
        for i, members in sorted(parts.items()):
            found[digest(record.global_key, group, count, i,
                         [(p, record.indexed[p]) for p in members])] = members
    return found


def part_name(part: Path) -> str:
    """The name a bundle gives a part: a hash of its files, so the same index has the same
    name whatever inputs the part was keyed by (written beside it as ``<part>.name``)."""
    from generator.deps import digest

    known = part.with_name(part.name + ".name")
    if known.is_file():
        return known.read_text(encoding="utf-8").strip()
    files = sorted(p for p in part.rglob("*") if p.is_file())
    name = digest([(p.relative_to(part).as_posix(), hashlib.blake2b(p.read_bytes()).hexdigest())
                   for p in files])
    atomic_write(known, name + "\n")
    return name


def part_site(dest: Path) -> Path:
    """The folder of a part's pages while Pagefind reads them (this process's own name: two
    indexers - of two builds in a row - may make the same part)."""
    return dest.with_name(f"{dest.name}.{os.getpid()}.site")


def link_pages(build_dir: Path, pages: list[str], site: Path) -> None:
    """Hard-link ``pages`` of ``build_dir`` into ``site`` at the same paths (so the URLs
    Pagefind finds are the site's)."""
    folders: set[str] = set()
    for page in pages:
        folder = page.rpartition("/")[0]
        if folder not in folders:
            os.makedirs(site / folder, exist_ok=True)
            folders.add(folder)
        os.link(build_dir / page, site / page)


def index_part(build_dir: Path, pages: list[str], dest: Path, linked: Future | None = None,
               remover: ThreadPoolExecutor | None = None) -> None:
    """One Pagefind run over ``pages`` of ``build_dir`` into ``dest``: their links made here,
    or by ``linked`` (beside the previous run); the folders left removed here, or by
    ``remover`` (beside the next run)."""
    work = dest.with_name(f"{dest.name}.{os.getpid()}.partial")
    site = part_site(dest)
    try:
        if linked is None:
            link_pages(build_dir, pages, site)
        else:
            linked.result()
        index_site(site, tuple(sorted({p.partition("/")[0] for p in pages} & set(LANGUAGES))),
                   bundle=work)
        try:
            work.rename(dest)
        except OSError:
            if not dest.is_dir():  # else the other indexer made the same part first
                raise
        # named now, beside the other run: named together once all were made, the 17 parts
        # of 20,000 documents (41,820 files read) kept the index from the pages up to 3 s longer
        part_name(dest)
    finally:
        for folder in (work, site):
            if remover is None:
                shutil.rmtree(folder, ignore_errors=True)
            else:
                remover.submit(shutil.rmtree, folder, ignore_errors=True)


def after_swap() -> int:
    """``ASHYQ_SEARCH_AFTER_SWAP`` or AFTER_SWAP: the seconds of a first index left for after
    the swap (0: the whole index before it)."""
    text = os.environ.get("ASHYQ_SEARCH_AFTER_SWAP") or str(AFTER_SWAP)
    if not text.isdigit():
        raise SearchIndexFailed(f"ASHYQ_SEARCH_AFTER_SWAP={text!r}: a number of seconds, 0 or more")
    return int(text)


def leaves_the_rest(run_seconds: float, made: int, left: int, runs: int,
                    within: float | None) -> bool:
    """Whether to begin no more parts before the swap: at the pace of the parts made so far
    (``made`` bytes of pages in ``run_seconds``, the time each part took, summed; ``runs`` at
    a time), the ``left`` bytes of the parts not begun take no longer than ``within`` seconds
    (target 4 of issue 10: the index at most 60 s behind the pages). Each part's own time,
    not the time since the first began: with parts still running, that gave twice the pace
    (two runs)."""
    if not within or not made:
        return False
    return run_seconds / made / runs * left <= within


def index_into(build_dir: Path, record=None, stop=None, *,
               swap_within: float | None = None) -> Path | None:
    """Index ``build_dir`` (its dependency record: ``record``, or the one saved in it) into
    its own bundle, re-using the parts whose pages did not change, and link it. Raises
    SearchIndexFailed; or Superseded, before a part, once ``stop()`` is true.

    With ``swap_within`` (seconds), the index is only begun: once the parts not yet begun
    would take no longer than that (:func:`leaves_the_rest`), none is begun, those running
    are finished and None is returned - the background indexer makes the rest (re-using the
    parts made here) and links the bundle then. The next part's pages are linked into its
    folder while a part is indexed, and the folders of the last removed meanwhile."""
    from generator.deps import Record

    record = record or Record.load(build_dir, index_only=True)
    if record is None or not record.indexed:
        raise SearchIndexFailed(f"{build_dir} lists no page to index")
    missing = [lang for lang in LANGUAGES
               if not any(p.startswith(lang + "/") for p in record.indexed)]
    if missing:
        raise SearchIndexFailed(f"the search index has no pages in {', '.join(missing)}")
    store = build_dir.parent / PARTS_STORE
    store.mkdir(exist_ok=True)
    parts = index_parts(record)
    # (pages, folder, bytes of HTML): Pagefind reads every byte of a page, indexes only some
    # (a state body's page: 1 MB, mostly its list, not indexed), so its pace is by the byte;
    # the largest parts first, the first pace the surest
    todo = sorted(((pages, store / key, sum(os.path.getsize(build_dir / p) for p in pages))
                   for key, pages in parts.items() if not (store / key).is_dir()),
                  key=lambda part: -part[2])
    runs, pages_all, pages_made = search_runs(), sum(len(p) for p, *_ in todo), 0
    bytes_made, run_seconds, left = 0, 0.0, False
    linked: dict[Path, Future] = {}

    def make(pages: list[str], dest: Path) -> None:
        if stop is not None and stop():
            raise Superseded(f"{build_dir} is no longer served")
        index_part(build_dir, pages, dest, linked[dest], files)
    try:
        with ThreadPoolExecutor(1) as files, ThreadPoolExecutor(runs) as pool:
            running: dict[Future, tuple[int, int, float]] = {}  # pages, bytes, when begun
            while todo or running:
                while todo and len(running) < runs:
                    if leaves_the_rest(run_seconds, bytes_made, sum(b for *_, b in todo),
                                       runs, swap_within):
                        todo.clear()
                        left = True
                        break
                    for pages, dest, _ in todo[:runs + 1]:  # this part's, and the next's
                        if dest not in linked:
                            linked[dest] = files.submit(link_pages, build_dir, pages,
                                                        part_site(dest))
                    pages, dest, size = todo.pop(0)
                    running[pool.submit(make, pages, dest)] = (len(pages), size,
                                                               time.monotonic())
                if running:
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for run in done:
                        made, size, began = running.pop(run)
                        pages_made, bytes_made = pages_made + made, bytes_made + size
                        run_seconds += time.monotonic() - began
                        run.result()  # a failure: no part is begun after it
    finally:
        for dest in linked:  # prepared for a part not begun (a failure, or left for later)
            site = part_site(dest)
            if left and site.is_dir():  # removed after the swap, by builds.prune's remover
                try:  # (0.6 s before the swap at 20,000)
                    site.rename(build_dir.parent / f"trash-{site.name}")
                    continue
                except OSError:  # a trash of that name not yet removed
                    pass
            shutil.rmtree(site, ignore_errors=True)
    if pages_made < pages_all:
        log.info("search index: %d of %d pages indexed before the swap, the rest after it",
                 pages_made, pages_all)
        return None
    bundle = bundle_dir(build_dir)
    partial = bundle.with_name(bundle.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    names = []
    for key in parts:
        names.append(part_name(store / key))
        (partial / names[-1]).symlink_to(os.path.relpath(store / key, partial))
    atomic_write(partial / PARTS_FILE, json.dumps({"parts": names}) + "\n")
    shutil.rmtree(bundle, ignore_errors=True)
    partial.rename(bundle)
    link_bundle(build_dir, bundle)
    return bundle


def bundle_parts(bundle: Path) -> set[Path]:
    """The parts a bundle links (resolved)."""
    return {p.resolve() for p in Path(bundle).iterdir() if p.is_symlink()} \
        if Path(bundle).is_dir() else set()


