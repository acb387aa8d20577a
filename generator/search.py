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

Pagefind is the binary shipped in the ``pagefind`` package from PyPI (``pagefind[extended]``):
nothing is downloaded at build time.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from pathlib import Path

from pelican import signals
from pelican.generators import Generator

from ashyq.doctypes import LANGUAGES
from ashyq.i18n import date_long, date_short

log = logging.getLogger(__name__)

SEARCH_PATH = "search/"
BUNDLE_DIR = "pagefind"
#: Parts of indexed pages left out of the index: menus, the participation widgets, and the
#: published proposals with their answers and totals - these change with every decision, which
#: the rebuild worker shows on the page without re-indexing (they are in /opendata/), so the
#: index depends on the content alone and stays equal to a full build's.
EXCLUDE_SELECTORS = (".crumbs", ".toc", ".take-part", ".proposals-h", ".proposals", ".anchor",
                     "form", "noscript")
TIMEOUT = 600  # seconds; Pagefind takes a few seconds per 10,000 pages


class SearchIndexFailed(Exception):
    "Pagefind did not write a search index for every language"


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


def index_site(site: Path, languages: tuple[str, ...] = LANGUAGES) -> dict:
    """Index the built ``site`` with Pagefind into ``site/pagefind``; returns its entry file
    (languages and page counts). Raises :class:`SearchIndexFailed`."""
    site = Path(site)
    command = [*pagefind_command(), "--site", str(site), "--output-subdir", BUNDLE_DIR,
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
    entry_file = site / BUNDLE_DIR / "pagefind-entry.json"
    if not entry_file.exists():
        raise SearchIndexFailed(f"Pagefind wrote no {entry_file.relative_to(site)}")
    entry = json.loads(entry_file.read_text(encoding="utf-8"))
    # Pagefind lists the languages in no fixed order: sort them, so that the same site gives
    # the same bytes (the rest of the bundle already does).
    tmp = entry_file.with_name(f".{entry_file.name}.tmp")
    tmp.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":"), sort_keys=True),
                   encoding="utf-8")
    os.replace(tmp, entry_file)
    missing = [lang for lang in languages
               if not entry.get("languages", {}).get(lang, {}).get("page_count")]
    if missing:
        raise SearchIndexFailed(f"the search index has no pages in {', '.join(missing)}")
    log.info("search index: %s", ", ".join(f"{lang} {info['page_count']} pages"
                                           for lang, info in entry["languages"].items()))
    return entry


class SearchPageGenerator(Generator):
    """Writes ``/{lang}/search/`` in each language site (after the site's own pages)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from generator.site import NAV_SECTIONS  # the layout's menu, as the site pages have it

        self.env.filters.update(date_long=date_long, date_short=date_short)
        self.env.globals.update(LANGUAGES=LANGUAGES, NAV_SECTIONS=NAV_SECTIONS)

    def generate_output(self, writer) -> None:
        from generator.site import page_spec, site_index

        index = self.context.get("ashyq") or site_index(self.settings)
        name, template, values = page_spec(self.settings["DEFAULT_LANG"], index, SEARCH_PATH,
                                           "search.html")
        # Its policy (with 'wasm-unsafe-eval', which the Nu checker's CSP grammar does not know)
        # comes as a header from the server (portal.web); no <meta> policy on this page.
        values["CONTENT_SECURITY_POLICY"] = None
        writer.write_file(name, self.get_template(template), self.context, **values)


def get_generators(pelican) -> type[Generator]:
    return SearchPageGenerator


def register() -> None:
    signals.get_generators.connect(get_generators)
