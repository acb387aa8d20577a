"""``/sitemap.xml`` (every public page in both languages, each with its hreflang alternates)
and ``/robots.txt``, from the pages the build wrote. Deterministic: no dates, sorted paths."""
from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from ashyq.doctypes import DEFAULT_LANGUAGE, LANGUAGES

#: Pages that are not for search engines: a person's own proposals, the search form.
PRIVATE = ("me/", "search/")


def public_pages(outputs) -> list[str]:
    """Language-relative paths ("", "discussions/", ...) of the pages (``<lang>/…/index.html``
    among ``outputs``) present in every language."""
    found = None
    for lang in LANGUAGES:
        paths = {o[len(lang) + 1:].removesuffix("index.html") for o in outputs
                 if o.startswith(f"{lang}/") and o.endswith("index.html")}
        found = paths if found is None else found & paths
    return sorted(p for p in found or () if not p.startswith(PRIVATE))


def sitemap_xml(site: str, paths: list[str]) -> bytes:
    site = site.rstrip("/")
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
           'xmlns:xhtml="http://www.w3.org/1999/xhtml">']
    for path in paths:
        alternates = [f'<xhtml:link rel="alternate" hreflang="{lang}" '
                      f'href={quoteattr(f"{site}/{lang}/{path}")}/>' for lang in LANGUAGES]
        alternates.append(f'<xhtml:link rel="alternate" hreflang="x-default" '
                          f'href={quoteattr(f"{site}/{DEFAULT_LANGUAGE}/{path}")}/>')
        for lang in LANGUAGES:
            out.append(f"<url><loc>{escape(f'{site}/{lang}/{path}')}</loc>{''.join(alternates)}</url>")
    out.append(f"<url><loc>{escape(site)}/opendata/</loc></url>")
    out.append("</urlset>")
    return ("\n".join(out) + "\n").encode("utf-8")


def robots_txt(site: str) -> bytes:
    lines = ["User-agent: *", "Disallow: /api/", "Disallow: /office/",
             *(f"Disallow: /{lang}/{path}" for lang in LANGUAGES for path in PRIVATE),
             "", f"Sitemap: {site.rstrip('/')}/sitemap.xml", ""]
    return "\n".join(lines).encode("utf-8")


def emit_sitemap(sink, index, site: str) -> None:
    """List ``sitemap.xml`` and ``robots.txt`` on the render path, after the pages (whose
    names it reads from the record): they change with the index and with the final reports."""
    keys = ("index", *sorted(f"report:{d.uid}" for d in index.discussions))
    outputs = sink.record.outputs  # read when made (nothing is listed after it): a
    # rebuild that carries the sitemap over does not look through 130,000 names
    sink.emit("sitemap.xml", keys, lambda: sitemap_xml(site, public_pages(list(outputs))))
    sink.emit("robots.txt", ("site",), lambda: robots_txt(site))
