"""``/sitemap.xml`` and ``/robots.txt``, from the pages the build wrote. Deterministic: no
dates, sorted paths.

``/sitemap.xml`` is a sitemap index (sitemaps.org) of ``/sitemap-1.xml``, ``/sitemap-2.xml``…,
which list every public page in both languages, each with its hreflang alternates. A sitemap
may list 50,000 URLs (and 50 MB) at most, and search engines ignore one that lists more: at
20,000 passports the site has 70,000 (issue 10). The files sit at the root, as a sitemap may
list only the addresses under its own folder."""
from __future__ import annotations

import functools
import re
from typing import Callable
from xml.sax.saxutils import escape, quoteattr

from ashyq.doctypes import DEFAULT_LANGUAGE, LANGUAGES

#: Pages that are not for search engines: a person's own proposals, the search form.
PRIVATE = ("me/", "search/")
#: Pages a sitemap file lists at most: each in both languages, so 40,000 URLs (of the 50,000
#: allowed), about 18 MB (of 50) with their alternates.
PAGES_PER_FILE = 20_000
NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"


def public_pages(outputs) -> list[str]:
    """Language-relative paths ("", "discussions/", ...) of the pages (``<lang>/…/index.html``
    among ``outputs``) present in every language."""
    found = None
    pages = [o for o in outputs if o.endswith("index.html")]
    for lang in LANGUAGES:
        prefix = f"{lang}/"
        paths = {o[len(prefix):-len("index.html")] for o in pages if o.startswith(prefix)}
        found = paths if found is None else found & paths
    return sorted(p for p in found or () if not p.startswith(PRIVATE))


def sitemap_files(pages: int) -> int:
    """How many sitemap files a site of ``pages`` pages (``…/index.html`` in any language)
    has: enough that none lists more than PAGES_PER_FILE pages in every language. Known
    before the pages' names are looked through; which pages there are is the sitemaps'
    keys (the number of all outputs is not: the portal's certificate is one of them)."""
    return max(1, -(-pages // (len(LANGUAGES) * PAGES_PER_FILE)))


def share(paths: list[str], number: int, files: int) -> list[str]:
    """The pages the sitemap file ``number`` (from 1) of ``files`` lists: consecutive, the
    files as equal as they can be."""
    return paths[(number - 1) * len(paths) // files:number * len(paths) // files]


def sitemap_index(site: str, files: int) -> bytes:
    site = site.rstrip("/")
    out = ['<?xml version="1.0" encoding="UTF-8"?>', f'<sitemapindex xmlns="{NAMESPACE}">',
           *(f"<sitemap><loc>{escape(site)}/sitemap-{n}.xml</loc></sitemap>"
             for n in range(1, files + 1)),
           "</sitemapindex>"]
    return ("\n".join(out) + "\n").encode("utf-8")


def sitemap_xml(site: str, paths: list[str], open_data: bool = True) -> bytes:
    """A sitemap of ``paths`` in every language (and ``/opendata/`` if ``open_data``)."""
    site = site.rstrip("/")
    head = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="{NAMESPACE}" xmlns:xhtml="http://www.w3.org/1999/xhtml">\n')
    lines = "".join(map(page_lines(site), paths))
    tail = f"<url><loc>{escape(site)}/opendata/</loc></url>\n" if open_data else ""
    return "".join([head, lines, tail, "</urlset>\n"]).encode("utf-8")


#: A path nothing in a page's lines escapes or quotes (``escape``, ``quoteattr``): almost
#: every page's (letters, digits, ``-``, ``/``, ``.``).
_PLAIN = re.compile(r"[^&<>\"'\n\r\t]*\Z").match


def page_lines(site: str) -> Callable[[str], str]:
    """What makes a page's lines (:func:`_page_lines`): for a plain path, the lines a mark
    makes, split at it, joined by the path - one call in C, not a dozen in Python (20,000
    pages a sitemap file, 0.1 s; a file's lines kept between builds took longer to read)."""
    pieces = _page_lines(site, "\0").split("\0") if "\0" not in site else None

    def lines(path: str) -> str:
        return path.join(pieces) if pieces and _PLAIN(path) else _page_lines(site, path)
    return lines


def _page_lines(site: str, path: str) -> str:
    """The ``<url>`` of the page ``path`` in every language, with its alternates: a line
    each."""
    alternates = [f'<xhtml:link rel="alternate" hreflang="{lang}" '
                  f'href={quoteattr(f"{site}/{lang}/{path}")}/>' for lang in LANGUAGES]
    alternates.append(f'<xhtml:link rel="alternate" hreflang="x-default" '
                      f'href={quoteattr(f"{site}/{DEFAULT_LANGUAGE}/{path}")}/>')
    return "".join(f"<url><loc>{escape(f'{site}/{lang}/{path}')}</loc>{''.join(alternates)}"
                   f"</url>\n" for lang in LANGUAGES)


def robots_txt(site: str) -> bytes:
    lines = ["User-agent: *", "Disallow: /api/", "Disallow: /office/",
             *(f"Disallow: /{lang}/{path}" for lang in LANGUAGES for path in PRIVATE),
             "", f"Sitemap: {site.rstrip('/')}/sitemap.xml", ""]
    return "\n".join(lines).encode("utf-8")


def emit_sitemap(sink, index, site: str) -> None:
    """List the sitemaps and ``robots.txt`` on the render path, after every other output
    (the pages, whose names they read from the record): they change with the index and with
    the final reports."""
    # which pages there are: the documents, their reports, the budget datasets' pages
    keys = ("budget", "index", *sorted(f"report:{d.uid}" for d in index.discussions))
    outputs = sink.record.outputs  # read when made (nothing is listed after it): a rebuild
    # that carries the sitemaps over only counts the pages, it makes no list of 130,000 names
    files = sitemap_files(sink.pages_listed())
    pages = functools.cache(lambda: public_pages(list(outputs)))  # once, for every file
    sink.emit("sitemap.xml", keys, lambda: sitemap_index(site, files))
    for number in range(1, files + 1):
        sink.emit(f"sitemap-{number}.xml", keys,
                  lambda n=number: sitemap_xml(site, share(pages(), n, files), n == 1),
                  together="sitemap")
    sink.emit("robots.txt", ("site",), lambda: robots_txt(site))
