"""Follow what matters: an RSS 2.0 and an Atom feed per state body and per discussion, in each
language, and the ``/{lang}/feeds/`` page that lists every feed and the calendar.

Entries come from the content and the public snapshot only (never the database): a
discussion opens (its posting date), closes (the day after its last day), a proposal is
published or answered (R15, R16), the final report appears (R17), a state body publishes a
material. Every date is a content date, so the same inputs give byte-identical feeds.
"""
from __future__ import annotations

import datetime as dt
from typing import Callable

from ashyq.i18n import date_long
from generator.compliance import by_administrator
from generator.content import Document, SiteIndex
from generator.feeds import Feed, FeedItem, render_feeds
from generator.long_lists import first_discussions
from generator.public_state import PublicState
from generator.reports import current_version, load_report


def N_(message: str) -> str:  # noqa: N802 - mark for the catalogs, translate later
    return message


TYPE_LABELS = {
    "passport": N_("Budget program passport"),
    "implementation_report": N_("Implementation report"),
    "budget_reporting": N_("Budget reporting"),
    "financial_statements": N_("Financial statements"),
    "citizens_budget": N_("Citizen's budget"),
    "audit_results": N_("Audit results"),
    "press_release": N_("Press release"),
}


def admin_feed_path(lang: str, code: str) -> str:
    return f"/{lang}/feeds/administrators/{code}"


def discussion_feed_path(lang: str, uid: str) -> str:
    return f"/{lang}/feeds/discussions/{uid}"


def type_label(doc: Document, _: Callable[[str], str]) -> str:
    return _(TYPE_LABELS.get(doc.type, N_("Material")))


def discussion_summary(doc: Document, index: SiteIndex, lang: str, _: Callable) -> str:
    """What a reader needs in a feed reader: document type, state body, dates (R9, R10)."""
    admin = index.administrators.get(doc.administrator or "")
    body = admin.name[lang] if admin else ""
    return _("%(type)s · %(body)s · discussion from %(start)s to %(end)s inclusive") % {
        "type": type_label(doc, _), "body": body,
        "start": date_long(doc.posted, lang), "end": date_long(doc.discussion_end, lang)}


def document_events(doc: Document, index: SiteIndex, public: PublicState,
                    reports_dir: str | None, lang: str, site: str, _: Callable) -> list[FeedItem]:
    """Every public event of one discussion up to the build's day, newest first."""
    today, page = index.today, site + doc.url(lang)
    title, summary = doc.title(lang), discussion_summary(doc, index, lang, _)
    parts = {p.id: p.title[lang] for p in doc.parts}
    items = []
    if doc.status in ("open", "closed") and doc.posted <= today:
        items.append(FeedItem(doc.uid, _("Discussion opened: %(title)s") % {"title": title},
                              page, summary, doc.posted, f"{page}#opened"))
    closed = doc.discussion_end + dt.timedelta(days=1)
    if doc.status == "closed" and closed <= today:
        items.append(FeedItem(doc.uid, _("Discussion closed: %(title)s") % {"title": title},
                              page, summary, closed, f"{page}#closed"))
    for part_id, proposals in sorted(public.proposals_of(doc.uid).items()):
        for p in proposals:
            link = f"{page}#proposal-{p['id']}"
            where = parts.get(part_id, part_id)
            if p.get("published_date") and p["published_date"] <= today:
                items.append(FeedItem(
                    doc.uid, _("Proposal No. %(id)s published: %(title)s") % {"id": p["id"], "title": title},
                    link, f"{where}: {p['text']}", p["published_date"], f"{link}-published"))
            if p.get("answer") and p.get("answer_date") and p["answer_date"] <= today:
                decision = (_("Accepted by the state body") if p["answer"]["decision"] == "accept"
                            else _("Rejected by the state body"))
                items.append(FeedItem(
                    doc.uid, _("Answer to proposal No. %(id)s: %(title)s") % {"id": p["id"], "title": title},
                    link, f"{decision}. {p['answer']['text']}", p["answer_date"], f"{link}-answered"))
    version = current_version(reports_dir, doc.uid)
    if version is not None:
        report = load_report(version, lang)
        day = dt.date.fromisoformat(str(report["header"]["generated"])[:10])
        link = f"{page}report/"
        items.append(FeedItem(doc.uid, _("Final report on the discussion: %(title)s") % {"title": title},
                              link, summary, day, f"{link}#{version.name}"))
    return items


def newest_first(items: list[FeedItem]) -> list[FeedItem]:
    return sorted(items, key=lambda i: (-i.day.toordinal(), i.id or i.link))


def discussion_feed(doc: Document, index: SiteIndex, public: PublicState,
                    reports_dir: str | None, lang: str, site: str,
                    _: Callable) -> tuple[str, tuple[str, ...], Callable]:
    """``(stem, input keys, make)`` of one discussion's feed pair; it needs only that
    document's share of the snapshot, so a decision updates it at once (the worker)."""
    stem = discussion_feed_path(lang, doc.uid)

    def make() -> dict[str, bytes]:
        feed = Feed(f"{doc.title(lang)} — {_('Open Budgets')}",
                    _("Everything new in the public discussion of this document: opening, "
                      "published proposals, answers, closing and the final report"),
                    site + doc.url(lang), site + stem, lang)
        return render_feeds(feed, newest_first(
            document_events(doc, index, public, reports_dir, lang, site, _)))
    return stem, feed_keys(doc), make


def feed_keys(doc: Document) -> tuple[str, ...]:
    """What one document's entries in a feed are made from (generator.deps): its metadata and
    state body, the day as far as it matters, and for a discussion its public share and final
    report. Not the whole index: one document added or changed re-renders only its own feeds."""
    keys = [f"meta:{doc.uid}", f"day:{doc.uid}"]
    if doc.administrator:
        keys.append(f"admin:{doc.administrator}")
    if doc.doc_type.discussion:
        keys += [f"public:{doc.uid}", f"report:{doc.uid}"]
    return tuple(keys)


def follow_feeds(index: SiteIndex, public: PublicState, reports_dir: str | None, lang: str,
                 site: str, _: Callable) -> list[tuple[str, tuple[str, ...], Callable]]:
    """``[(stem, input keys, make)]``, one per state body: ``make()`` gives ``{".xml": RSS,
    ".atom": Atom}``. The keys are those of ``generator.deps``: the index (dates, titles, the
    day), each of its discussions' public share and final report."""
    brand = _("Open Budgets")

    def events(doc: Document) -> list[FeedItem]:
        return document_events(doc, index, public, reports_dir, lang, site, _)

    def found() -> tuple:  # once a build: each language's feeds list the same documents
        discussed = by_administrator(d for d in index.discussions if d.status != "scheduled")
        published = by_administrator(d for d in index.documents.values()
                                     if not d.doc_type.discussion and not d.generated)
        return discussed, published, {
            code: tuple(sorted({f"admin:{code}"}.union(*(
                feed_keys(doc) for doc in discussed.get(code, []) + published.get(code, [])))))
            for code in index.administrators}
    discussed, published, body_keys = index.derived("feeds of state bodies", found)
    out = []
    for code, admin in sorted(index.administrators.items()):
        mine, materials = discussed.get(code, []), published.get(code, [])
        stem = admin_feed_path(lang, code)

        def make(admin=admin, mine=mine, stem=stem, code=code,
                 materials=materials) -> dict[str, bytes]:
            items = [item for doc in mine for item in events(doc)]
            for doc in materials:
                if doc.date <= index.today:
                    items.append(FeedItem(doc.uid, f"{type_label(doc, _)}: {doc.title(lang)}",
                                          site + doc.url(lang), type_label(doc, _), doc.date))
            feed = Feed(f"{admin.name[lang]} — {brand}",
                        _("What %(body)s publishes on the portal: discussions opened and closed, "
                          "published proposals and answers, final reports, materials")
                        % {"body": admin.name[lang]},
                        f"{site}/{lang}/administrators/{code}/", site + stem, lang)
            return render_feeds(feed, newest_first(items))
        out.append((stem, body_keys[code], make))
    return out


def feeds_page_values(index: SiteIndex) -> dict:
    """The values of ``feeds.html``: every state body, and the discussions with a feed (not
    scheduled): the first ``LIST_LIMIT`` of them, the open ones first
    (``generator.long_lists``; each discussion's page links its own feed)."""
    having = [d for d in index.discussions if d.status != "scheduled"]
    return {"administrators": sorted(index.administrators.values(), key=lambda a: a.code),
            "documents": first_discussions(having), "total": len(having)}
