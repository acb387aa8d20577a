"""Pelican plugin: the Ashyq site generator.

One :class:`SiteGenerator` runs in each language site (kk is the main site, ru the
i18n_subsites subsite, both writing under one output root). It computes in
``generate_context`` - the content index, each document's rendered parts - and writes in
``generate_output``: pages, feeds, and (main language only) the manifest, the language chooser
and attachments.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from html import unescape as html_unescape
from pathlib import Path

from jinja2 import pass_context
from markupsafe import Markup
import generator.pelican_logging  # noqa: F401 - before Pelican's first import
from pelican import signals
from pelican.contents import Page
from pelican.generators import Generator

from ashyq import clock
from ashyq.doctypes import LANGUAGES, MATERIAL_SECTIONS
from ashyq.i18n import (compile_catalogs, date_long, date_short, file_size, number, one_period,
                        translations)
from generator import follow, mdquick
from generator.chrome import kept_theme_url
from generator.content import Document, SiteIndex, load_content
from generator.markdown_cache import MarkdownCache
from generator.press import add_generated_press_releases, releases_by_discussion
from generator.public_state import load_public_state, read_snapshot
from generator.render import render_path
from generator.reports import SIGNATURE_FILES, current_version, load_report, versions
from generator.rows import ROW_KEYS, Rows, rows_folder, with_rows
from generator.table_charts import CHARTED_TYPES, add_charts

log = logging.getLogger(__name__)

H2 = re.compile(r'<h2 id="([^"]+)">(.*?)</h2>\s*', re.S)
FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.S)
TAG = re.compile(r"<[^>]+>")
NAV_SECTIONS = ("discussions", "press", *MATERIAL_SECTIONS, "administrators", "compliance")


def split_parts(html: str) -> tuple[str, dict[str, str]]:
    """Split a rendered document at its ``<h2 id>`` headings: (introduction, {part id: body})."""
    pieces = H2.split(html)
    intro, parts = pieces[0], {}
    for i in range(1, len(pieces), 3):
        parts[pieces[i]] = pieces[i + 2].strip()
    return intro.strip(), parts


def first_paragraph(html: str) -> str:
    """The text of the first paragraph, without markup: a summary for feeds."""
    match = FIRST_PARAGRAPH.search(html)
    return html_unescape(TAG.sub("", match.group(1))).strip() if match else ""


def site_index(settings: dict) -> SiteIndex:
    """The index the build orchestrator prepared, or one read now (plain ``pelican`` runs)."""
    index = settings.get("ASHYQ_INDEX")
    if index is None:
        index = load_content(Path(settings["PATH"]), clock.today())
        settings["ASHYQ_INDEX"] = index
    return prepare_index(index, locale_dir(settings))


def prepare_index(index: SiteIndex, locale: Path) -> SiteIndex:
    """Add what the build computes to the index: the generated press releases (R12)."""
    catalogs = {lang: translations(str(locale), lang) for lang in LANGUAGES}
    add_generated_press_releases(index, catalogs)
    return index


def locale_dir(settings: dict) -> Path:
    return Path(settings["I18N_GETTEXT_LOCALEDIR"])


def page_spec(lang: str, index: SiteIndex, path: str, template: str,
              **values) -> tuple[str, str, dict]:
    """``(output name, template, values)`` of the page at ``/{lang}/{path}``, with the values
    every page template uses (``lang``, ``here``, ``alternates``, ``index``, ``today``).
    Other plugins use it so their pages share the layout's language switch and menus."""
    name = f"{lang}/{path}index.html" if path.endswith("/") or not path else f"{lang}/{path}"
    here = "/" + name.removesuffix("index.html")
    common = {"lang": lang, "here": here, "index": index, "today": index.today,
              "alternates": {other: f"/{other}/" + here.split("/", 2)[2] for other in LANGUAGES}}
    return name, template.removesuffix(".html"), {**common, **values}


def iso_date(value) -> dt.date:
    """A date from an ISO date or date-time string (or a date)."""
    return dt.date.fromisoformat(str(value)[:10])


#: The filters every page template may use (the report benchmark renders with these too).
TEMPLATE_FILTERS = {"date_long": date_long, "date_short": date_short, "filesize": file_size,
                    "one_period": one_period, "number": number, "iso_date": iso_date,
                    "theme_url": kept_theme_url}  # also every generator's (pelicanconf.JINJA_FILTERS)


def memoized_gettext(gettext):
    """Jinja's new-style ``gettext`` (installed by i18n_subsites), each string that has no
    variables translated and escaped once per language instead of once per use: a page calls
    it about seventy times, on every one of a build's pages (issue 10). Same result: the
    translation does not depend on the page."""
    done: dict[str, Markup] = {}

    @pass_context
    def cached(context, string: str, **variables):
        if variables or not context.eval_ctx.autoescape:
            return gettext(context, string, **variables)
        try:
            return done[string]
        except KeyError:
            done[string] = text = gettext(context, string)
            return text

    cached.memoizes = gettext
    return cached


@pass_context
def listed(context, items, row, kind: str = "document") -> Markup:
    """``row(item)`` (a macro) of each of ``items`` (documents, or compliance checks), one
    after another: kept from the previous build when the page's values carry its
    :class:`Rows` (``rows``) and what the row shows is unchanged (``generator.rows``)."""
    rows = context.get("rows")
    if not isinstance(rows, Rows):
        return Markup("".join([str(row(item)) for item in items]))
    index, key = context["index"], ROW_KEYS[kind]
    return Markup(rows.each(items, lambda item: key(item, index), row))


def memoize_gettext(env) -> None:
    """Memoize ``env``'s installed ``gettext`` (i18n_subsites installs it late, and again
    when it installs translations again): once per installed function."""
    installed = env.globals.get("gettext")
    if installed is not None and not hasattr(installed, "memoizes"):
        env.globals["gettext"] = memoized_gettext(installed)
    if installed is not None:
        # ``_`` straight to it: the i18n extension's ``_`` looks ``gettext`` up in the page's
        # context and calls it through one more context call - 1 us a string, 70 a page,
        # 70,000 pages at 20,000 documents (issue 10). No page's context names ``gettext``.
        env.globals["_"] = env.globals["gettext"]


class SiteGenerator(Generator):
    """Lists (and, through the render path, writes) every Ashyq page of one language."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lang = self.settings["DEFAULT_LANG"]
        # Strings for the page scripts (``|tojson`` in data-i18n) as UTF-8, not \uXXXX escapes:
        # a third of the bytes for Kazakh and Russian text (the page weight budget, issue 14);
        # < > & ' are still escaped by Jinja's htmlsafe dump.
        self.env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
        self.env.filters.update(TEMPLATE_FILTERS)
        self.env.globals.update(LANGUAGES=LANGUAGES, NAV_SECTIONS=NAV_SECTIONS,
                                admin_feed_path=follow.admin_feed_path, listed=listed,
                                discussion_feed_path=follow.discussion_feed_path)
        self.markdown = MarkdownCache(Path(self.settings["CACHE_PATH"]) / "markdown",
                                      self.settings["MARKDOWN"])

    # -- compute -------------------------------------------------------------------------
    def generate_context(self) -> None:
        """Only the index and the snapshot: bodies are rendered when their page is."""
        self.index = site_index(self.settings)
        self.public = load_public_state(self.settings.get("ASHYQ_SNAPSHOT"))
        self.snapshot = read_snapshot(self.settings.get("ASHYQ_SNAPSHOT"))  # for compliance
        self.releases = releases_by_discussion(self.index, self.lang)
        self.context["ashyq"] = self.index
        # the long lists' rows kept between builds, under the build's global key
        sink = self.settings.get("ASHYQ_RENDER")
        key = getattr(getattr(sink, "record", None), "global_key", "-")
        self.rows_dir = rows_folder(Path(self.settings["CACHE_PATH"]), key) \
            if key != "-" else None

    def rows(self, name: str) -> Rows:
        """The kept rows of the output ``name`` (:mod:`generator.rows`)."""
        return Rows(getattr(self, "rows_dir", None), name)

    def with_rows(self, name: str, make) -> "bytes | str":
        """``make(rows)`` with the kept rows of ``name``, kept again once it is made."""
        return with_rows(self.rows(name), make)

    def read_body(self, doc: Document) -> dict:
        """The rendered Markdown of ``doc`` in this language, split into its parts (R14)."""
        html = self.read_html(doc.sources[self.lang])
        if not doc.doc_type.discussion:
            if doc.type in CHARTED_TYPES:  # R4, R5, R6: tables explained with pictures
                html = add_charts(html, doc.uid, self.lang, doc.type)
            return {"intro": Markup(html), "parts": {}}
        intro, parts = split_parts(html)
        return {"intro": Markup(intro), "parts": {k: Markup(v) for k, v in parts.items()}}

    def read_html(self, source: Path) -> str:
        """The HTML of a Markdown file: rendered at once where ``generator.mdquick`` renders
        it (cheaper than a cache file: 0.2 ms, not kept), else from the Markdown cache or
        Pelican's reader."""
        html = mdquick.render_file(source)
        return html if html is not None else self.markdown.get(source, self.read_markdown)

    def read_markdown(self, source: Path) -> str:
        """Pelican's Markdown reader on one file (the cache calls it on a miss)."""
        page = self.readers.read_file(
            base_path=self.path, path=str(source.relative_to(self.path)),
            content_class=Page, context=self.context)
        siteurl = page.get_siteurl()
        try:
            return page.get_content(siteurl)
        finally:  # Pelican memoizes every page's HTML for the process's life (issue 10:
            # 40,000 pages held, 10 KB each, in each render process at 20,000 documents)
            page.get_content.cache.pop((page, siteurl), None)

    # -- pages ---------------------------------------------------------------------------
    def page(self, path: str, template: str, **values) -> tuple[str, str, dict]:
        return page_spec(self.lang, self.index, path, template, **values)

    def document_page(self, doc: Document, body: dict | None = None) -> tuple[str, str, dict]:
        """A passport's or report's page: parts, votes, published proposals and answers."""
        return self.page(f"discussions/{doc.uid}/", "document.html", doc=doc,
                         admin=self.index.administrators[doc.administrator],
                         body=body or self.read_body(doc),
                         announcement=self.releases.get(doc.uid),
                         votes=self.public.votes(doc.uid),
                         proposals=self.public.proposals_of(doc.uid),
                         has_report=current_version(self.settings.get("ASHYQ_REPORTS"), doc.uid) is not None)

    def report_page(self, doc: Document) -> tuple[str, str, dict, Path] | None:
        """R17: the final report's page, from the frozen report of the newest version."""
        version_dir = current_version(self.settings.get("ASHYQ_REPORTS"), doc.uid)
        if version_dir is None:
            return None
        from ashyq import annex
        report = load_report(version_dir, self.lang)
        files = [(name, (version_dir / self.lang / name).stat().st_size)
                 for name in ("report.pdf", "report.xlsx", "report.csv", "report.json")
                 if (version_dir / self.lang / name).exists()]
        # issue 15: how to check the signatures; every version with its dates and reason
        signed = all((version_dir / self.lang / name).exists() for name in SIGNATURE_FILES)
        listed = [dict(v, current=v["folder"] == version_dir)
                  for v in versions(self.settings.get("ASHYQ_REPORTS"), doc.uid)]
        name, template, values = self.page(
            f"discussions/{doc.uid}/report/", "report.html", doc=doc, report=report,
            form=annex.annex(doc.type), version=int(version_dir.name[1:]), files=files,
            signed=signed, versions=listed if len(listed) > 1 else [],
            budget_type_label=annex.label("budget_type", report["header"]["budget_type"], self.lang),
            decision_labels={d: annex.label("decision", d, self.lang) for d in ("accept", "reject")},
            no_answer=annex.text("no_answer", self.lang),
            after_end=annex.text("after_end", self.lang),
            provenance=annex.provenance(self.lang))
        return name, template, values, version_dir

    def render(self, template: str, values: dict) -> str:
        """The page as Pelican's writer would write it."""
        memoize_gettext(self.env)
        return self.get_template(template).render({**self.context, **values})

    def later(self, make_spec) -> "callable":
        """A maker for the render path: build the page's values and render it when asked."""
        def make() -> str:
            name, template, values = make_spec()
            text = self.render(template, values)
            if isinstance(values.get("rows"), Rows):  # its rows kept for the next build
                values["rows"].save()
            return text
        return make

    def generate_output(self, writer) -> None:
        from generator.listing import emit_site

        with render_path(self.settings, self.output_path) as sink:
            emit_site(self, sink)

    def summary(self, doc: Document) -> str:
        if doc.generated:
            return doc.meta[self.lang]["summary"]
        return first_paragraph(self.read_body(doc)["intro"]) or doc.title(self.lang)


def get_generators(pelican) -> type[Generator]:
    compile_catalogs(locale_dir(pelican.settings))
    return SiteGenerator


def register() -> None:
    from generator.mdreader import use_kept_reader

    signals.get_generators.connect(get_generators)
    signals.readers_init.connect(use_kept_reader)  # one Markdown per reader (issue 10)

