"""Site search: a static Pagefind index of both languages, and the search page.

Two halves:

* a Pelican plugin (``PLUGINS``) that writes ``/{lang}/search/`` in each language site - the
  page every header's search form sends its ``q`` to (a plain GET: no script needed to get
  there); its script (``/theme/js/search.js``) loads ``/pagefind/pagefind.js`` and shows the
  results in the page's language. Only this page loads Pagefind, so other pages stay light.
* the index (``generator.search_parts``), which the build (``generator.build``) makes of the
  new build directory before it is swapped in: Pagefind reads each page's ``<html lang>`` and writes a separate
  index per language under ``/pagefind/``. Pages mark what to index with
  ``data-pagefind-body`` (documents, press releases, materials, state bodies: see
  ``base.html``); the selectors below leave out their navigation and participation widgets.
  A rebuild swaps first and indexes in a detached process (:func:`main`), by parts, re-using
  the parts whose pages did not change; it stops before its next part once another build is
  served (that build's own indexer runs).
"""
from __future__ import annotations

import logging
import os
import subprocess
import time
from pathlib import Path

import generator.pelican_logging  # noqa: F401 - before Pelican's first import
from pelican import signals
from pelican.generators import Generator

from ashyq.doctypes import LANGUAGES
from ashyq.i18n import date_long, date_short
from generator.search_parts import (
    BUNDLE_DIR, TIMEOUT, SearchIndexFailed, Superseded, after_swap, index_into, link_bundle,
    pending_file)

log = logging.getLogger(__name__)

SEARCH_PATH = "search/"
#: A pending mark younger than this is trusted even if its writer is gone (the build's mark,
#: before the indexer it started writes its own).
PENDING_GRACE = 60  # seconds


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


def served_bundle(build_dir: Path | None) -> Path | None:
    """The search bundle ``build_dir`` links, if any."""
    link = build_dir / BUNDLE_DIR if build_dir else None
    return link.resolve() if link is not None and link.is_symlink() and link.exists() else None


def indexes_before_swap(previous: Path | None, mode: str = "auto") -> bool:
    """Whether a build after ``previous`` runs Pagefind before its swap, if its pages changed
    (:func:`search_index`): with no index served - unless the previous build's first index
    is still being finished after its swap (an edit right after a site's first build is
    swapped in as any edit; its own indexer follows)."""
    return mode == "wait" or (mode == "auto" and served_bundle(previous) is None
                              and not (previous is not None and search_pending(previous)))


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
        # a long first index is finished after the swap (``search_parts.AFTER_SWAP``)
        if index_into(build_dir, record,
                      swap_within=None if mode == "wait" else after_swap()) is not None:
            return False
    if old_bundle is not None:
        link_bundle(build_dir, old_bundle)  # served until the new one is complete
    pending_file(build_dir).write_text(f"0 {_boot_id()}", encoding="utf-8")  # no owner yet
    return True


def start_background_index(build_dir: Path, spare: bool = False) -> None:
    """Index ``build_dir`` in a process of its own, detached (``setsid -f``): it outlives
    this call and the caller never has to wait for it. ``spare``: then prepare the spare
    build for the next one (``generator.builds.prepare_spare``) - after the index, not
    beside it: 130,000 links at 20,000 documents slowed the index by a third."""
    from generator.apart import module_process

    command, root, env = module_process("generator.search", str(build_dir),
                                        *(["spare"] if spare else []))
    with open(build_dir.parent / "search.log", "ab") as log_file:
        subprocess.run(["setsid", "-f", *command], cwd=root, env=env, stdin=subprocess.DEVNULL,
                       stdout=log_file, stderr=subprocess.STDOUT, check=True)


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


def main(build_dir: str, then: str = "") -> int:
    """The background indexer: index, link, prepare the spare build if ``then`` is "spare"
    and this build is still served, and drop the pending mark (also on failure)."""
    path = Path(build_dir)
    try:
        if path.is_dir():
            pending_file(path).write_text(f"{os.getpid()} {_boot_id()}", encoding="utf-8")
            index_into(path, stop=lambda: superseded(path))
            if then == "spare" and not superseded(path):
                from generator.builds import prepare_spare, served_by
                from generator.deps import Record

                record = Record.load(path)
                if record is not None:
                    prepare_spare(served_by(path), path, record)
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
    sys.exit(main(*sys.argv[1:3]))
