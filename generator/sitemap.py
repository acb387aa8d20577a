"""``/sitemap.xml`` (every public page in both languages, each with its hreflang alternates)
and ``/robots.txt``, from the pages the build wrote. Deterministic: no dates, sorted paths."""
from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from ashyq.doctypes import DEFAULT_LANGUAGE, LANGUAGES

#: Pages that are not for search engines: a person's own proposals, the search form.
PRIVATE = ("me/", "search/")


def public_pages(build_dir: Path) -> list[str]:
    """Language-relative paths ("", "discussions/", ...) of pages present in every language."""
    found = None
    for lang in LANGUAGES:
        root = Path(build_dir) / lang
        paths = {p.parent.relative_to(root).as_posix() for p in root.rglob("index.html")}
        paths = {"" if p == "." else p + "/" for p in paths}
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


def write_sitemap(build_dir: Path, site: str) -> None:
    (Path(build_dir) / "sitemap.xml").write_bytes(sitemap_xml(site, public_pages(build_dir)))
    (Path(build_dir) / "robots.txt").write_bytes(robots_txt(site))
