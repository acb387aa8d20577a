"""What the site is made of: every output of one language with the keys of its inputs.

:func:`document_outputs` lists one document's pages (and its report's files);
:func:`emit_site` lists the whole language site - the documents' outputs, the lists, the feeds
(and which documents they touch), and in the main language the shared files. The full build,
the incremental rebuild (``generator.build``) and the worker's update of one document
(``generator.incremental``) all go through these two functions and ``generator.render``; the
open data is listed by :func:`emit_open_data`. Keys: ``generator.deps``.
"""
from __future__ import annotations

from pathlib import Path

from ashyq.doctypes import DEFAULT_LANGUAGE, MATERIAL_SECTIONS
from ashyq.i18n import translations
from ashyq.workdays import calendar_source
from generator import compliance, follow, long_lists
from generator.compliance_overview import overview
from generator.calendar_feed import discussions_calendar
from generator.content import Document
from generator.content_cache import stat_key
from generator.deps import index_group
from generator.feeds import FEED_LIMIT, Feed, FeedItem, render_feeds
from generator.long_lists import (
    HOME_LIMIT, bodies_with_discussions, first, first_discussions, home_open,
)
from generator.manifest import MANIFEST_PATH, manifest_json
from generator.press import announced
from generator.opendata import OPENDATA_DIR
from generator.reports import PUBLISHED_FILES, current_version, published_versions
from generator.rows import Rows, with_rows

#: The footer's pages (issue 14): /{lang}/about/<name>/.
ABOUT_PAGES = {"accessibility": "about_accessibility.html", "privacy": "about_privacy.html",
               "contacts": "about_contacts.html"}
#: A rebuild that renders state bodies' compliance pages without the overview checks each
#: body's documents alone for this many bodies (a text edit: one); for more (a new day
#: re-renders them all) the whole check runs once.
BODIES_CHECKED_APART = 4


def page_name(lang: str, path: str) -> str:
    """The file of the page at ``/{lang}/{path}`` (as ``generator.site.page_spec`` names it)."""
    return f"{lang}/{path}index.html" if path.endswith("/") or not path else f"{lang}/{path}"


def document_keys(doc: Document) -> tuple[str, ...]:
    """The inputs of a document's own page."""
    keys = [f"src:{doc.uid}", f"meta:{doc.uid}"]
    if doc.administrator:
        keys.append(f"admin:{doc.administrator}")
    if doc.doc_type.discussion:
        keys += [f"announce:{doc.uid}", f"public:{doc.uid}", f"report:{doc.uid}"]
    return tuple(keys)


def emit_document(gen, doc: Document, sink) -> None:
    """The outputs of ``doc`` in ``gen``'s language (:func:`document_outputs`), taken from
    the previous build when nothing they are made from changed, nor what decides which
    there are: the document's files and metadata (type, status, attachments, the linked
    passport of a press release) and its final report (R17)."""
    name = f"{gen.lang}:{doc.uid}"
    linked = announced(doc, gen.lang) if doc.type == "press_release" else None
    sink.emit_document(name,
                       (f"src:{doc.uid}", f"meta:{doc.uid}", f"report:{doc.uid}",
                        *([f"meta:{linked}"] if linked else [])),
                       lambda into: document_outputs(gen, doc, into))


def emit_documents(gen, docs: list[Document], sink) -> None:
    """:func:`emit_document` of each of ``docs`` but those whose outputs are in the recycled
    directory as they would be made now (``keep_all``: taken whole, at once)."""
    for doc in sink.keep_all([f"{gen.lang}:{doc.uid}" for doc in docs], docs):
        emit_document(gen, doc, sink)


def document_outputs(gen, doc: Document, sink) -> None:
    """Emit the pages of ``doc`` in ``gen``'s language: its page, and for a discussion the
    final report's page and files (R17). Press releases and materials likewise."""
    lang, index = gen.lang, gen.index
    section = doc.doc_type.section
    group = index_group(doc.date)  # the search index's
    if doc.doc_type.discussion:
        sink.emit(page_name(lang, f"discussions/{doc.uid}/"), document_keys(doc),
                  gen.later(lambda: gen.document_page(doc)), group)
        if doc.status != "scheduled":  # issue 14: the discussion's own feed pair
            emit_feed_pair(sink, *follow.discussion_feed(
                doc, index, gen.public, gen.settings.get("ASHYQ_REPORTS"), lang,
                site_url(gen), gettext(gen)))
        version_dir = current_version(gen.settings.get("ASHYQ_REPORTS"), doc.uid)
        if version_dir is not None:
            keys = (f"meta:{doc.uid}", f"report:{doc.uid}")
            sink.emit(page_name(lang, f"discussions/{doc.uid}/report/"), keys,
                      gen.later(lambda: gen.report_page(doc)[:3]), group)
            # issue 15: the signed manifest beside the files; earlier versions stay published
            for folder, prefix in published_versions(gen.settings.get("ASHYQ_REPORTS"), doc.uid,
                                                     version_dir):
                for name in PUBLISHED_FILES:
                    if (folder / lang / name).exists():
                        sink.emit_copy(f"{lang}/discussions/{doc.uid}/report/{prefix}{name}",
                                       keys, folder / lang / name)
    elif doc.type == "press_release":
        linked = index.documents.get(announced(doc, lang) or "")
        keys = document_keys(doc) + ((f"meta:{linked.uid}",) if linked else ())
        sink.emit(page_name(lang, f"press/{doc.uid}/"), keys, gen.later(lambda: gen.page(
            f"press/{doc.uid}/", "press.html", doc=doc, linked=linked,
            body=None if doc.generated else gen.read_body(doc))), group)
    elif section in MATERIAL_SECTIONS:
        sink.emit(page_name(lang, f"{section}/{doc.uid}/"), document_keys(doc),
                  gen.later(lambda: gen.page(
                      f"{section}/{doc.uid}/", "material.html", section=section, doc=doc,
                      body=gen.read_body(doc),
                      admin=index.administrators.get(doc.administrator or ""))), group)
    if lang == DEFAULT_LANGUAGE:
        for attachment in doc.attachments:  # R10: shared by both languages
            src = Path(doc.attachments_dir, attachment.name)
            sink.emit_copy(f"files/{doc.uid}/{attachment.name}", (f"src:{doc.uid}",), src)


def visible_press(index) -> list[Document]:
    return index.derived(("listing", "press"), lambda: [
        d for d in index.of_type("press_release") if d.date <= index.today])


def emit_site(gen, sink) -> None:
    """Emit every output of ``gen``'s language site."""
    index, lang = gen.index, gen.lang

    def page(path: str, template: str, keys=("index",), **values) -> None:
        sink.emit(page_name(lang, path), keys,
                  gen.later(lambda: gen.page(path, template, **values)))

    # what both languages' lists take of the index alike: made once (``SiteIndex.derived``)
    press, discussions = visible_press(index), index.discussions
    opened = index.derived(("listing", "open"),
                           lambda: [d for d in discussions if d.status == "open"])
    page("", "home.html", open_discussions=home_open(opened), open_count=len(opened),
         press=press[:HOME_LIMIT], citizens_budget=index.in_section("citizens-budget")[:1])
    # bounded lists (generator.long_lists): the first LIST_LIMIT, every one on its body's page
    page("discussions/", "discussions.html",
         documents=index.derived(("listing", "first"), lambda: first_discussions(discussions)),
         total=len(discussions),
         bodies=index.derived(("listing", "bodies"), lambda: bodies_with_discussions(
             discussions, index.administrators)),
         years=index.derived(("listing", "years"), lambda: sorted(
             {d.posted.year for d in discussions}, reverse=True)),
         rows=gen.rows(page_name(lang, "discussions/")))
    emit_documents(gen, discussions, sink)
    admins = sorted(index.administrators.values(), key=lambda a: a.code)
    page("administrators/", "administrators.html", administrators=admins)
    by_admin = index.derived(("listing", "by body"), lambda: compliance.by_administrator(
        d for d in index.documents.values() if not d.generated))
    discussed = index.derived(("listing", "discussions by body"),
                              lambda: compliance.by_administrator(discussions))
    for admin in index.administrators.values():
        mine = by_admin.get(admin.code, [])
        page(f"administrators/{admin.code}/", "administrator.html", (f"body:{admin.code}",),
             admin=admin,
             documents=discussed.get(admin.code, []),
             materials=sorted((d for d in mine if not d.doc_type.discussion),
                              key=lambda d: (-d.date.toordinal(), d.uid)))
    page("press/", "press_list.html", documents=first(press), total=len(press),
         rows=gen.rows(page_name(lang, "press/")))
    emit_documents(gen, press, sink)
    for section in MATERIAL_SECTIONS:
        docs = index.in_section(section)
        page(f"{section}/", "materials.html", section=section, documents=docs,
             rows=gen.rows(page_name(lang, f"{section}/")))
        emit_documents(gen, docs, sink)
    emit_compliance(gen, sink, admins)
    page("feeds/", "feeds.html", **follow.feeds_page_values(index),
         rows=gen.rows(page_name(lang, "feeds/")))
    for name, template in ABOUT_PAGES.items():  # the footer's pages (issue 14)
        page(f"about/{name}/", template, keys=("site",))
    page("404.html", "not_found.html", keys=("site",))
    page("me/", "me.html", keys=("site",))
    emit_feeds(gen, sink, press, [d for d in discussions if d.status != "scheduled"])
    if lang == DEFAULT_LANGUAGE:
        emit_shared(gen, sink)


def emit_compliance(gen, sink, admins) -> None:
    """The compliance pages. The overview is made from each state body's share, kept between
    builds under its ``compliance:<code>`` key (``generator.compliance_overview``); a body's
    page rendered without the overview (a text edit re-renders one) checks that body's
    documents alone, for the first BODIES_CHECKED_APART bodies, then takes the overview's."""
    checked: dict = {}
    memo = gen.index.memo

    def key() -> tuple:  # once per build: both languages judge the same index and snapshot
        if "key" not in checked:  # found when the first page is rendered
            source = gen.settings.get("ASHYQ_SNAPSHOT")
            checked["key"] = ("compliance", source, stat_key(source) if source else None,
                              len(gen.index.documents))
        return checked["key"]

    def summed():
        if key() not in memo:
            shares = Rows(getattr(gen, "rows_dir", None), "compliance: state bodies", True)
            memo[key()] = with_rows(shares, lambda shares: overview(
                gen.index, gen.snapshot, sink.record.inputs, shares, long_lists.LIST_LIMIT,
                BODIES_CHECKED_APART))
        return memo[key()]

    def of_body(code: str) -> list:
        apart = memo.setdefault(key() + ("apart",), {})
        if code not in apart and (key() in memo or len(apart) >= BODIES_CHECKED_APART):
            checked_now = summed().checked  # every body's when many changed (the whole check)
            if code in checked_now:
                return checked_now[code]
        if code not in apart:
            apart[code] = compliance.check_body(gen.index, gen.snapshot, code)
        return apart[code]

    overview_page = page_name(gen.lang, "compliance/")
    sink.emit(overview_page, ("compliance",), gen.later(lambda: gen.page(
        "compliance/", "compliance.html", tallies=summed().tallies,
        violations=summed().violations, violations_total=summed().total,
        rows=gen.rows(overview_page), administrators=admins,
        calendar_source=calendar_source(gen.index.calendar),
        publication_recorded=bool((gen.snapshot or {}).get("publication")))),
        together="compliance")  # one check, in one process, for both languages
    for admin in admins:
        name = page_name(gen.lang, f"compliance/{admin.code}/")
        sink.emit(name, (f"compliance:{admin.code}",),
                  gen.later(lambda admin=admin, name=name: gen.page(
                      f"compliance/{admin.code}/", "compliance_admin.html", admin=admin,
                      checks=of_body(admin.code), rows=gen.rows(name))),
                  together="compliance")


def emit_feeds(gen, sink, press: list[Document], discussions: list[Document]) -> None:
    """RSS, Atom and iCalendar feeds of one language: the press feed quotes the releases'
    first paragraphs (``press``), the others show only what the index knows."""
    lang, site = gen.lang, gen.settings["ASHYQ_SITE_URL"].rstrip("/")
    _ = gettext(gen)
    feeds = {
        "press": (("index", "press"), lambda: (
            Feed(_("Press releases") + " — " + _("Open Budgets"),
                 _("Press releases of state bodies on public discussions (R12)"),
                 f"{site}/{lang}/press/", f"{site}/{lang}/feeds/press", lang),
            [FeedItem(d.uid, d.title(lang), site + d.url(lang), gen.summary(d), d.date)
             for d in press[:FEED_LIMIT]])),  # newest first: the newest item is the first
        "discussions": (("index",), lambda: (
            Feed(_("Public discussions") + " — " + _("Open Budgets"),
                 _("New budget program passports and implementation reports "
                   "open for public discussion"),
                 f"{site}/{lang}/discussions/", f"{site}/{lang}/feeds/discussions", lang),
            [FeedItem(d.uid, d.title(lang), site + d.url(lang),
                      follow.discussion_summary(d, gen.index, lang, _), d.posted)
             for d in discussions[:FEED_LIMIT]])),
    }
    ics = f"{lang}/feeds/discussions.ics"
    sink.emit(ics, ("index",), lambda: gen.with_rows(ics, lambda rows: discussions_calendar(
        gen.index.discussions, lang, site, _("Public discussions"), rows, gen.index)))
    for name, (keys, spec) in feeds.items():
        emit_feed_pair(sink, f"{lang}/feeds/{name}", keys, lambda spec=spec: render_feeds(*spec()))
    emit_body_feeds(gen, sink)


def emit_body_feeds(gen, sink) -> None:
    """Issue 14: a feed pair per state body (each discussion's own is in document_outputs).
    They need the whole public snapshot: the worker re-emits them with the open data."""
    for stem, keys, spec in follow.follow_feeds(gen.index, gen.public,
                                                 gen.settings.get("ASHYQ_REPORTS"), gen.lang,
                                                 site_url(gen), gettext(gen)):
        emit_feed_pair(sink, stem, keys, spec)


def site_url(gen) -> str:
    return gen.settings["ASHYQ_SITE_URL"].rstrip("/")


def gettext(gen):
    """The generator's gettext (looked up once: every discussion's feed asks)."""
    found = getattr(gen, "_ashyq_gettext", None)
    if found is None:
        found = gen._ashyq_gettext = translations(
            str(Path(gen.settings["I18N_GETTEXT_LOCALEDIR"])), gen.lang).gettext
    return found


def emit_feed_pair(sink, stem: str, keys: tuple[str, ...], spec) -> None:
    """``{stem}.xml`` (RSS 2.0) and ``{stem}.atom``, made together on first use."""
    made: dict = {}

    def make(suffix: str) -> bytes:
        if not made:
            made.update(spec())
        return made[suffix]
    for suffix in (".xml", ".atom"):
        sink.emit(f"{stem.lstrip('/')}{suffix}", keys, lambda s=suffix: make(s), together=stem)


def emit_shared(gen, sink) -> None:
    """Language-neutral files, listed once by the main-language site: the language chooser
    (the manifest: :func:`emit_open_data`)."""
    sink.emit("index.html", ("site",), lambda: gen.render("choose_language",
                                                          {"lang": DEFAULT_LANGUAGE}))


#: The open data's outputs and what the whole site's are keyed on (sorted, as in the record).
OPEN_DATA_KEYS = ("budget", "index", "snapshot")
#: What the outputs made from the open data's kept rows share (``Output.together``).
OPEN_DATA_ROWS = OPENDATA_DIR + ":rows"


def _open_data_names(sink, index, snapshot: dict | None) -> list[str]:
    """The names of the open data's files: the previous build's when what they are made
    from is unchanged (working them out reads every document)."""
    from generator.opendata import open_data_names

    before = sink.previous
    previous = [p for p, k in before.outputs.items() if k == OPEN_DATA_KEYS] if before else []
    if previous and all(before.inputs.get(k) == sink.record.inputs.get(k) for k in OPEN_DATA_KEYS):
        return [p.removeprefix(OPENDATA_DIR + "/") for p in previous]  # the same tables
    return open_data_names(index, snapshot)


def _rows_made(names: list[str], rows_dir: Path | None) -> list[str]:
    """Those of ``names`` made from kept rows (the tables made document by document)."""
    from generator.opendata_rows import BY_DOCUMENT

    return [n for n in names if rows_dir is not None and n.split(".")[0] in BY_DOCUMENT]


def emit_open_data_rows(sink, index, snapshot: dict | None, rows_dir: Path) -> list[str]:
    """The manifest (the submission service's contract) and the open data's tables made
    document by document from kept rows (``generator.opendata_rows``): the longest of a
    rebuild to make, from the index and the snapshot alone (no other output), so listed
    before the rest and made beside the listing (``RenderPath.flush(beside=True)``).
    Returns the names of the open data's files (for :func:`emit_open_data`)."""
    from generator.opendata_rows import rows_tables

    names = _open_data_names(sink, index, snapshot)
    rows_made = _rows_made(names, rows_dir)
    made: dict[str, bytes] = {}

    def make(name: str) -> bytes:
        if not made:
            made.update(rows_tables(index, snapshot, rows_dir))
        return made.pop(name)  # each is written once: its bytes go (60 MB at 20,000)
    sink.emit(MANIFEST_PATH, ("index",), lambda: with_rows(
        Rows(rows_dir, MANIFEST_PATH, binary=True),
        lambda rows: manifest_json(index, rows=rows)),
        together=OPEN_DATA_ROWS)
    for name in rows_made:
        sink.emit(f"{OPENDATA_DIR}/{name}", OPEN_DATA_KEYS, lambda n=name: make(n),
                  together=OPEN_DATA_ROWS)
    return names


def emit_open_data(sink, index, snapshot: dict | None, rows_dir: Path | None = None,
                   names: list[str] | None = None) -> None:
    """``/opendata/``: tables, package and page, from the index, the whole public snapshot and
    the files other writers put under ``/opendata/`` (the budget datasets: listed before, made
    together with these, so written first, by the same process); with ``rows_dir``, but for
    the tables :func:`emit_open_data_rows` listed (``names``: its answer): they are read,
    once written."""
    from generator.opendata import open_data_files

    build_dir, folder = sink.build_dir, sink.build_dir / OPENDATA_DIR
    names = _open_data_names(sink, index, snapshot) if names is None else names
    rows_made = _rows_made(names, rows_dir)
    made: dict = {}
    done = False

    def make(name: str) -> bytes:
        nonlocal done
        if not done:
            sink.wait_beside()  # the manifest and the tables made beside
            manifest = (build_dir / MANIFEST_PATH).read_bytes()
            others = {p.removeprefix(OPENDATA_DIR + "/"): (build_dir / p).stat().st_size
                      for p in sink.record.outputs
                      if p.startswith(OPENDATA_DIR + "/") and p.count("/") > 1}
            made.update(open_data_files(
                index, snapshot, manifest, others, build_dir, rows_dir,
                {n: (folder / n).read_bytes() for n in rows_made} if rows_made else None))
            done = True
        return made.pop(name)  # each is written once: its bytes go
    for name in names:
        if name in rows_made:
            continue
        sink.emit(f"{OPENDATA_DIR}/{name}", OPEN_DATA_KEYS, lambda n=name: make(n),
                  together=OPENDATA_DIR, waits=bool(rows_made))
