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
import shutil
from html import unescape as html_unescape
from pathlib import Path

from markupsafe import Markup
from pelican import signals
from pelican.contents import Page
from pelican.generators import Generator

from ashyq import clock
from ashyq.doctypes import DEFAULT_LANGUAGE, LANGUAGES, MATERIAL_SECTIONS
from generator import compliance
from generator.calendar_feed import discussions_calendar
from generator.content import Document, SiteIndex, load_content
from generator.feeds import Feed, FeedItem, render_feeds
from generator import follow
from ashyq.i18n import compile_catalogs, date_long, date_short, file_size, number, one_period, translations
from generator.manifest import MANIFEST_PATH, manifest_json
from generator.press import add_generated_press_releases
from generator.public_state import load_public_state
from generator.reports import current_version, load_report, publish_files
from generator.table_charts import CHARTED_TYPES, add_charts

log = logging.getLogger(__name__)

H2 = re.compile(r'<h2 id="([^"]+)">(.*?)</h2>\s*', re.S)
FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.S)
TAG = re.compile(r"<[^>]+>")
HOME_LIMIT = 5
#: The footer's pages (issue 14): /{lang}/about/<name>/.
ABOUT_PAGES = {"accessibility": "about_accessibility.html", "privacy": "about_privacy.html",
               "contacts": "about_contacts.html"}
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
    catalogs = {lang: translations(str(locale_dir(settings)), lang) for lang in LANGUAGES}
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


class SiteGenerator(Generator):
    """Renders every Ashyq page of one language."""

    def __init__(self, *args, **kwargs):
        # A reader-level cache: unchanged Markdown files are not rendered again (each language
        # site has its own CACHE_PATH).
        super().__init__(*args, readers_cache_name="AshyqSite-Readers", **kwargs)
        self.lang = self.settings["DEFAULT_LANG"]
        self.env.filters.update(date_long=date_long, date_short=date_short, filesize=file_size,
                                one_period=one_period, number=number,
                                iso_date=lambda value: dt.date.fromisoformat(str(value)[:10]))
        self.env.globals.update(LANGUAGES=LANGUAGES, NAV_SECTIONS=NAV_SECTIONS,
                                admin_feed_path=follow.admin_feed_path,
                                discussion_feed_path=follow.discussion_feed_path)

    # -- compute -------------------------------------------------------------------------
    def generate_context(self) -> None:
        self.index = site_index(self.settings)
        self.bodies: dict[str, dict] = {}
        for doc in self.index.documents.values():
            if not doc.generated:
                self.bodies[doc.uid] = self.read_body(doc)
        self.readers.save_cache()
        self.public = load_public_state(self.settings.get("ASHYQ_SNAPSHOT"))
        self.releases = {d.meta[self.lang].get("document"): d
                         for d in self.index.of_type("press_release")}
        self.context["ashyq"] = self.index

    def read_body(self, doc: Document) -> dict:
        """The rendered Markdown of ``doc`` in this language, split into its parts (R14)."""
        source = doc.sources[self.lang]
        page = self.readers.read_file(
            base_path=self.path, path=str(source.relative_to(self.path)),
            content_class=Page, context=self.context)
        if not doc.doc_type.discussion:
            html = page.content
            if doc.type in CHARTED_TYPES:  # R4, R5, R6: tables explained with pictures
                html = add_charts(html, doc.uid, self.lang, doc.type)
            return {"intro": Markup(html), "parts": {}}
        intro, parts = split_parts(page.content)
        return {"intro": Markup(intro), "parts": {k: Markup(v) for k, v in parts.items()}}

    # -- pages ---------------------------------------------------------------------------
    def page(self, path: str, template: str, **values) -> tuple[str, str, dict]:
        return page_spec(self.lang, self.index, path, template, **values)

    def document_page(self, doc: Document, body: dict | None = None) -> tuple[str, str, dict]:
        """A passport's or report's page: parts, votes, published proposals and answers."""
        return self.page(f"discussions/{doc.uid}/", "document.html", doc=doc,
                         admin=self.index.administrators[doc.administrator],
                         body=body or self.bodies[doc.uid], announcement=self.releases.get(doc.uid),
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
        name, template, values = self.page(
            f"discussions/{doc.uid}/report/", "report.html", doc=doc, report=report,
            form=annex.annex(doc.type), version=int(version_dir.name[1:]), files=files,
            budget_type_label=annex.label("budget_type", report["header"]["budget_type"], self.lang),
            decision_labels={d: annex.label("decision", d, self.lang) for d in ("accept", "reject")},
            no_answer=annex.text("no_answer", self.lang))
        return name, template, values, version_dir

    def publish_report(self, version_dir: Path, doc: Document) -> None:
        publish_files(version_dir, self.lang,
                      Path(self.output_path) / self.lang / "discussions" / doc.uid / "report")

    def render(self, template: str, values: dict) -> str:
        """The page as the writer would write it (the incremental path uses this too)."""
        return self.get_template(template).render({**self.context, **values})

    def _write(self, writer, path: str, template: str, **values) -> None:
        name, template, values = self.page(path, template, **values)
        writer.write_file(name, self.get_template(template), self.context, **values)

    def generate_output(self, writer) -> None:
        index, lang = self.index, self.lang
        visible_press = [d for d in index.of_type("press_release") if d.date <= index.today]
        discussions = index.discussions
        self._write(writer, "", "home.html",
                    open_discussions=[d for d in discussions if d.status == "open"],
                    press=visible_press[:HOME_LIMIT],
                    citizens_budget=index.in_section("citizens-budget")[:1])
        self._write(writer, "discussions/", "discussions.html", documents=discussions)
        for doc in discussions:
            name, template, values = self.document_page(doc)
            writer.write_file(name, self.get_template(template), self.context, **values)
            if report := self.report_page(doc):
                name, template, values, version_dir = report
                writer.write_file(name, self.get_template(template), self.context, **values)
                self.publish_report(version_dir, doc)
        self._write(writer, "administrators/", "administrators.html",
                    administrators=sorted(index.administrators.values(), key=lambda a: a.code))
        by_admin: dict[str, list[Document]] = {}
        for doc in index.documents.values():
            if doc.administrator and not doc.generated:
                by_admin.setdefault(doc.administrator, []).append(doc)
        for admin in index.administrators.values():
            mine = by_admin.get(admin.code, [])
            self._write(writer, f"administrators/{admin.code}/", "administrator.html",
                        admin=admin,
                        documents=[d for d in discussions if d.administrator == admin.code],
                        materials=sorted((d for d in mine if not d.doc_type.discussion),
                                         key=lambda d: (-d.date.toordinal(), d.uid)))
        self._write(writer, "press/", "press_list.html", documents=visible_press)
        for doc in visible_press:
            linked = index.documents.get(doc.meta[lang].get("document") or "")
            self._write(writer, f"press/{doc.uid}/", "press.html", doc=doc, linked=linked,
                        body=self.bodies.get(doc.uid))
        for section in MATERIAL_SECTIONS:
            docs = index.in_section(section)
            self._write(writer, f"{section}/", "materials.html", section=section, documents=docs)
            for doc in docs:
                self._write(writer, f"{section}/{doc.uid}/", "material.html", section=section,
                            doc=doc, body=self.bodies[doc.uid],
                            admin=index.administrators.get(doc.administrator or ""))
        checks = compliance.check(index)
        grouped = compliance.by_administrator(checks)
        admins = sorted(index.administrators.values(), key=lambda a: a.code)
        self._write(writer, "compliance/", "compliance.html", checks=checks, grouped=grouped,
                    administrators=admins)
        for admin in admins:
            self._write(writer, f"compliance/{admin.code}/", "compliance_admin.html", admin=admin,
                        checks=grouped.get(admin.code, []))
        self._write(writer, "feeds/", "feeds.html", **follow.feeds_page_values(index))
        for name, template in ABOUT_PAGES.items():
            self._write(writer, f"about/{name}/", template)
        self._write(writer, "404.html", "not_found.html")
        self._write(writer, "me/", "me.html")
        self._write_feeds(visible_press, [d for d in discussions if d.status != "scheduled"])
        if lang == DEFAULT_LANGUAGE:
            self._write_shared(writer)

    def _write_feeds(self, press: list[Document], discussions: list[Document]) -> None:
        lang, site = self.lang, self.settings["ASHYQ_SITE_URL"].rstrip("/")
        _ = translations(str(locale_dir(self.settings)), lang).gettext
        feeds = {
            "press": (Feed(_("Press releases") + " — " + _("Open Budgets"),
                           _("Press releases of state bodies on public discussions (R12)"),
                           f"{site}/{lang}/press/", f"{site}/{lang}/feeds/press", lang),
                      [FeedItem(d.uid, d.title(lang), site + d.url(lang), self._summary(d), d.date)
                       for d in press]),
            "discussions": (Feed(_("Public discussions") + " — " + _("Open Budgets"),
                                 _("New budget program passports and implementation reports "
                                   "open for public discussion"),
                                 f"{site}/{lang}/discussions/", f"{site}/{lang}/feeds/discussions",
                                 lang),
                            [FeedItem(d.uid, d.title(lang), site + d.url(lang),
                                      follow.discussion_summary(d, self.index, lang, _), d.posted)
                             for d in discussions]),
        }
        ics = Path(self.output_path) / lang / "feeds" / "discussions.ics"
        ics.parent.mkdir(parents=True, exist_ok=True)
        ics.write_bytes(discussions_calendar(self.index.discussions, lang, site, _("Public discussions")))
        # Issue 14: a feed pair per state body and per discussion.
        follow.write_files(Path(self.output_path), follow.follow_feeds(
            self.index, self.public, self.settings.get("ASHYQ_REPORTS"), lang, site, _))
        for name, (feed, items) in feeds.items():
            for suffix, data in render_feeds(feed, items).items():
                path = Path(self.output_path) / lang / "feeds" / f"{name}{suffix}"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)

    def _summary(self, doc: Document) -> str:
        if doc.generated:
            return doc.meta[self.lang]["summary"]
        return first_paragraph(self.bodies[doc.uid]["intro"]) or doc.title(self.lang)

    def _write_shared(self, writer) -> None:
        """Language-neutral files, written once by the main-language site."""
        out = Path(self.output_path)
        writer.write_file("index.html", self.get_template("choose_language"),
                          self.context, lang=DEFAULT_LANGUAGE)
        target = out / MANIFEST_PATH
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(manifest_json(self.index, clock.now()), encoding="utf-8")
        for doc in self.index.documents.values():
            for attachment in doc.attachments:
                src = doc.sources[DEFAULT_LANGUAGE].parent / "files" / attachment.name
                dest = out / "files" / doc.uid / attachment.name
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dest)


def get_generators(pelican) -> type[Generator]:
    compile_catalogs(locale_dir(pelican.settings))
    return SiteGenerator


def register() -> None:
    signals.get_generators.connect(get_generators)

