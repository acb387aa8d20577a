"""Site search: a static Pagefind index of both languages, and the search page.

Two halves:

* a Pelican plugin (``PLUGINS``) that writes ``/{lang}/search/`` in each language site - the
  page every header's search form sends its ``q`` to (a plain GET: no script needed to get
  there); its script (``/theme/js/search.js``) loads ``/pagefind/pagefind.js`` and shows the
  results in the page's language. Only this page loads Pagefind, so other pages stay light.
* :func:`index_site`, which the build (``generator.build``) runs on the new build directory
  before it is swapped in: Pagefind reads each page's ``<html lang>`` and writes a separate
  index per language under ``/pagefind/``. Pages mark what to index with
  ``data-pagefind-body`` (documents, press releases, materials, state bodies: see
  ``base.html``); the selectors below leave out their navigation and participation widgets.
  A rebuild swaps first and indexes in a detached process (:func:`main`), by parts, re-using
  the parts whose pages did not change; it stops before its next part once another build is
  served (that build's own indexer runs).

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
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path

import generator.pelican_logging  # noqa: F401 - before Pelican's first import
from pelican import signals
from pelican.generators import Generator

from ashyq.doctypes import LANGUAGES
from ashyq.files import atomic_write
from ashyq.i18n import date_long, date_short

log = logging.getLogger(__name__)

SEARCH_PATH = "search/"
BUNDLE_DIR = "pagefind"
#: Parts of indexed pages left out of the index: menus, the participation widgets, and the
#: published proposals with their answers and totals - these change with every decision, which
#: the rebuild worker shows on the page without re-indexing (they are in /opendata/), so the
#: index depends on the content alone and stays equal to a full build's (the inputs they
#: show: ``generator.deps.UNINDEXED_KEYS``).
EXCLUDE_SELECTORS = (".crumbs", ".toc", ".take-part", ".proposals-h", ".proposals", ".anchor",
                     "form", "noscript")
TIMEOUT = 600  # seconds; Pagefind takes a few seconds per 10,000 pages
#: A pending mark younger than this is trusted even if its writer is gone (the build's mark,
#: before the indexer it started writes its own).
PENDING_GRACE = 60  # seconds


class SearchIndexFailed(Exception):
    "Pagefind did not write a search index for every language"


class Superseded(Exception):
    "Another build was swapped in: the background index of this one would serve no one"


def search_policy(policy: str) -> str:
    """The Content-Security-Policy of the search page: the site's policy, with WebAssembly
    allowed for scripts (``'wasm-unsafe-eval'``: Pagefind searches in WebAssembly; it does
    not allow ``eval``). A server sending the policy as a header needs the same for
    ``/{lang}/search/``."""
    directives = [d.strip() for d in policy.split(";") if d.strip()]
    for i, directive in enumerate(directives):
        name, *sources = directive.split()
        if name == "script-src":
            if "'wasm-unsafe-eval'" not in sources:
                directives[i] = " ".join([name, *sources, "'wasm-unsafe-eval'"])
            break
    else:
        directives.append("script-src 'self' 'wasm-unsafe-eval'")
    return "; ".join(directives)


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
#: Pagefind runs at a time (``ASHYQ_SEARCH_RUNS``, at most the cores). A run keeps about 1.3
#: cores busy but holds up to 550 MB at 3,000 pages: two side by side took a cold build of
#: 20,000 passports to 1.19 GB (the 1 GB target), so one unless memory is to spare.
SEARCH_RUNS = 1
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


def index_part(build_dir: Path, pages: list[str], dest: Path) -> None:
    """One Pagefind run over ``pages`` of ``build_dir`` (hard-linked into a folder of their
    own, at the same paths, so the URLs are the site's) into ``dest``."""
    # this process's own names: two indexers (of two builds in a row) may make the same part
    work = dest.with_name(f"{dest.name}.{os.getpid()}.partial")
    site = dest.with_name(f"{dest.name}.{os.getpid()}.site")
    try:
        for page in pages:
            os.makedirs(site / page.rpartition("/")[0], exist_ok=True)
            os.link(build_dir / page, site / page)
        index_site(site, tuple(sorted({p.partition("/")[0] for p in pages} & set(LANGUAGES))),
                   bundle=work)
        try:
            work.rename(dest)
        except OSError:
            if not dest.is_dir():  # else the other indexer made the same part first
                raise
    finally:
        for folder in (work, site):
            shutil.rmtree(folder, ignore_errors=True)


def index_into(build_dir: Path, record=None, stop=None) -> Path:
    """Index ``build_dir`` (its dependency record: ``record``, or the one saved in it) into
    its own bundle, re-using the parts whose pages did not change, and link it. Raises
    SearchIndexFailed; or Superseded, before a part, once ``stop()`` is true."""
    from generator.deps import Record

    record = record or Record.load(build_dir)
    if record is None or not record.indexed:
        raise SearchIndexFailed(f"{build_dir} lists no page to index")
    missing = [lang for lang in LANGUAGES
               if not any(p.startswith(lang + "/") for p in record.indexed)]
    if missing:
        raise SearchIndexFailed(f"the search index has no pages in {', '.join(missing)}")
    store = build_dir.parent / PARTS_STORE
    store.mkdir(exist_ok=True)
    parts = index_parts(record)
    missing = [(pages, store / key) for key, pages in parts.items() if not (store / key).is_dir()]

    def make(pages: list[str], dest: Path) -> None:
        if stop is not None and stop():
            raise Superseded(f"{build_dir} is no longer served")
        index_part(build_dir, pages, dest)
    with ThreadPoolExecutor(search_runs()) as runs:
        made = [runs.submit(make, *part) for part in missing]
        wait(made, return_when=FIRST_EXCEPTION)
        runs.shutdown(cancel_futures=True)  # a run failed: the parts not started are not
    for run in made:
        if not run.cancelled():
            run.result()  # raises the failure
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


def served_bundle(build_dir: Path | None) -> Path | None:
    """The search bundle ``build_dir`` links, if any."""
    link = build_dir / BUNDLE_DIR if build_dir else None
    return link.resolve() if link is not None and link.is_symlink() and link.exists() else None


def indexes_before_swap(previous: Path | None, mode: str = "auto") -> bool:
    """Whether a build after ``previous`` runs Pagefind before its swap, if its pages changed
    (:func:`search_index`)."""
    return mode == "wait" or (mode == "auto" and served_bundle(previous) is None)


def search_index(build_dir: Path, previous: Path | None, pages_changed: bool,
                 mode: str = "auto", record=None, before_indexing=None) -> bool:
    """Give the new ``build_dir`` (whose dependency record is ``record``, if not yet saved)
    its search index; True when it is still to be rebuilt in the background
    (:func:`start_background_index`, after the swap and the record). ``before_indexing()``
    is called when the index is made in this process, before it is."""
    old_bundle = served_bundle(previous)
    # the previous build's own index may still be on its way: its indexer stops once this
    # build is served (main), so this one indexes its pages even if they did not change
    if old_bundle is not None and not pages_changed and not search_pending(previous):
        link_bundle(build_dir, old_bundle)
        return False
    if indexes_before_swap(previous, mode):
        if before_indexing is not None:
            before_indexing()
        index_into(build_dir, record)
        return False
    if old_bundle is not None:
        link_bundle(build_dir, old_bundle)  # served until the new one is complete
    pending_file(build_dir).write_text(f"0 {_boot_id()}", encoding="utf-8")  # no owner yet
    return True


def start_background_index(build_dir: Path) -> None:
    """Index ``build_dir`` in a process of its own, detached (``setsid -f``): it outlives
    this call and the caller never has to wait for it."""
    import sys

    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(root), *filter(None, [os.environ.get("PYTHONPATH")])]))
    with open(build_dir.parent / "search.log", "ab") as log_file:
        subprocess.run(["setsid", "-f", sys.executable, "-m", "generator.search", str(build_dir)],
                       cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=log_file,
                       stderr=subprocess.STDOUT, check=True)


def search_pending(build_dir: Path) -> bool:
    """True while ``build_dir``'s background index is to be made: its mark is there, and
    either it is young (the build's mark, owned by no process, before the indexer it started
    writes its own) or the indexer that wrote it lives, since this boot. An indexer killed
    with the machine (or before it began) leaves its mark; trusted for ever, it kept the
    build from being recycled."""
    mark = pending_file(Path(build_dir))
    try:
        text, age = mark.read_text(encoding="utf-8"), time.time() - mark.stat().st_mtime
    except FileNotFoundError:
        return False
    pid, _, boot = text.strip().partition(" ")
    if age < PENDING_GRACE:
        return True
    return pid.isdigit() and int(pid) > 0 and boot == _boot_id() and _alive(int(pid))


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
    except OSError:
        return "-"


def superseded(build_dir: Path) -> bool:
    """Whether another build than ``build_dir`` is served now (or it is gone)."""
    from generator.builds import served_by

    output = served_by(build_dir)
    return not build_dir.is_dir() or (output.is_symlink()
                                      and output.resolve() != build_dir.resolve())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's: it lives
        pass
    return True


def wait_for_search(build_dir: Path, timeout: float = TIMEOUT) -> None:
    """Block until the background index of ``build_dir`` (if any) is done."""
    deadline = time.monotonic() + timeout
    while search_pending(build_dir) and time.monotonic() < deadline:
        time.sleep(0.05)


def main(build_dir: str) -> int:
    """The background indexer: index, link, and drop the pending mark (also on failure)."""
    path = Path(build_dir)
    try:
        if path.is_dir():
            pending_file(path).write_text(f"{os.getpid()} {_boot_id()}", encoding="utf-8")
            index_into(path, stop=lambda: superseded(path))
        return 0
    except SearchIndexFailed as exc:
        log.error("search index of %s failed (the previous one stays): %s", path, exc)
        return 1
    except (Superseded, OSError) as exc:
        if not isinstance(exc, Superseded) and path.is_dir():
            raise
        # Builds in quick succession: another build is served (and this one may be pruned
        # already); its own indexer runs - Pagefind runs for this one would only slow it.
        log.info("%s was superseded before its search index was done", path)
        return 0
    finally:
        pending_file(path).unlink(missing_ok=True)


class SearchPageGenerator(Generator):
    """Writes ``/{lang}/search/`` in each language site (after the site's own pages)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from generator.site import NAV_SECTIONS  # the layout's menu, as the site pages have it

        self.env.filters.update(date_long=date_long, date_short=date_short)
        self.env.globals.update(LANGUAGES=LANGUAGES, NAV_SECTIONS=NAV_SECTIONS)

    def generate_output(self, writer) -> None:
        from generator.listing import page_name
        from generator.render import render_path
        from generator.site import page_spec, site_index

        index = self.context.get("ashyq") or site_index(self.settings)
        lang = self.settings["DEFAULT_LANG"]

        def make() -> str:
            _n, template, values = page_spec(lang, index, SEARCH_PATH, "search.html")
            # Its policy (with 'wasm-unsafe-eval', which the Nu checker's CSP grammar does not
            # know) comes as a header from the server (portal.web); no <meta> policy here.
            values["CONTENT_SECURITY_POLICY"] = None
            return self.get_template(template).render({**self.context, **values})
        with render_path(self.settings, self.output_path) as sink:
            sink.emit(page_name(lang, SEARCH_PATH), ("site",), make)


def get_generators(pelican) -> type[Generator]:
    return SearchPageGenerator


def register() -> None:
    signals.get_generators.connect(get_generators)


if __name__ == "__main__":
    import sys

    logging.basicConfig(level=logging.INFO)
    sys.exit(main(sys.argv[1]))
