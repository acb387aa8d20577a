"""R12: on a passport's or report's posting day the site carries a press release in both
languages announcing the discussion dates - written by the editor, or generated here."""
from __future__ import annotations

import datetime as dt
import functools
import gettext

from ashyq.doctypes import DOC_TYPES, LANGUAGES
from generator.content import Document, SiteIndex
from ashyq.i18n import date_long

GENERATED_PREFIX = "PR-"


@functools.lru_cache(maxsize=8)
def _wording(catalog: gettext.NullTranslations) -> tuple[str, str]:
    """The release's title and text in ``catalog``'s language, with ``%(title)s``,
    ``%(start)s`` and ``%(end)s`` to fill in; looked up once (a build announces 20,000
    discussions)."""
    _ = catalog.gettext
    return (_("Public discussion: %(title)s"),
            _("From %(start)s to %(end)s inclusive, everyone can read the document on the "
              "Open Budgets portal, vote for or against it and, after signing in with an "
              "electronic digital signature, send proposals on any of its parts."))


def generated_releases(index: SiteIndex) -> list[tuple[str, Document]]:
    """The releases :func:`add_generated_press_releases` adds: ``(uid, the discussion it
    announces)`` for every discussion no committed release announces - the same before they
    are added and after (``generator.deps`` works out their fingerprints in a process that
    does not make them: 0.25 s of every edit at 20,000 documents)."""
    documents = index.documents
    announced = {d.meta[LANGUAGES[0]].get("document")
                 for d in index.of_type("press_release") if not d.generated}
    found = []
    for doc in index.discussions:
        uid = GENERATED_PREFIX + doc.uid
        if doc.uid not in announced and (uid not in documents or documents[uid].generated):
            found.append((uid, doc))
    return found


class GeneratedRelease(Document):
    """A press release the build writes itself (R12) for the discussion ``source``. Its
    metadata - title and text in both languages - is made when first read: a rebuild that
    adds a passport at 20,000 reads a few of 20,000 (the newest, in the press list and feed;
    its own page), and making them all was a quarter of a second of every add. What lists
    sort and group by - its date and state body - is the discussion's, as its metadata says."""

    def __init__(self, uid: str, source: Document, wordings: dict[str, tuple[str, str]]):
        self._meta = None
        super().__init__(uid, DOC_TYPES["press_release"], {}, None, generated=True)
        self.source, self._wordings = source, wordings

    @property
    def meta(self) -> dict[str, dict[str, str]]:
        if self._meta is None:
            self._meta = release_meta(self.uid, self.source, self._wordings)
        return self._meta

    @meta.setter
    def meta(self, value) -> None:
        self._meta = value

    @property
    def date(self) -> dt.date:
        return self.source.posted

    @property
    def administrator(self) -> str | None:
        return self.source.administrator

    @property
    def announces(self) -> str:
        """The uid of the discussion it announces (its metadata's ``document``)."""
        return self.source.uid


def announced(release: Document, lang: str = LANGUAGES[0]) -> str | None:
    """The uid of the discussion the press release ``release`` announces (its ``document``
    in ``lang``), without making a generated release's texts."""
    if isinstance(release, GeneratedRelease):
        return release.announces
    return release.meta[lang].get("document")


def releases_by_discussion(index: SiteIndex, lang: str) -> dict[str | None, Document]:
    """Every press release by the discussion it announces (of two announcing one, the older:
    ``of_type`` lists the newest first and the later entry stays)."""
    return {announced(d, lang): d for d in index.of_type("press_release")}


def release_meta(uid: str, doc: Document,
                 wordings: dict[str, tuple[str, str]]) -> dict[str, dict[str, str]]:
    """The metadata of the release ``uid`` announcing ``doc`` (``wordings``: :func:`_wording`
    by language)."""
    meta, posted = {}, doc.posted.isoformat()
    for lang, (kind, text) in wordings.items():
        values = {"title": doc.title(lang), "start": date_long(doc.posted, lang),
                  "end": date_long(doc.discussion_end, lang)}
        meta[lang] = {"uid": uid, "type": "press_release", "title": kind % values,
                      "summary": text % values, "date": posted,
                      "administrator": doc.administrator, "document": doc.uid}
    return meta


def add_generated_press_releases(index: SiteIndex,
                                 catalogs: dict[str, gettext.NullTranslations]) -> None:
    """Add a generated press release (:class:`GeneratedRelease`) for every discussion no
    committed release announces.

    Idempotent: a generated release already in the index is left as it is, and an index
    no document was added to since is not looked through again (each language's generators
    and the build ask: five passes over 40,000 documents).
    """
    if index.memo.get("generated press releases") == len(index.documents):
        return
    documents = index.documents
    wordings = {lang: _wording(catalogs[lang]) for lang in LANGUAGES}  # (20,000 releases)
    for uid, doc in generated_releases(index):
        if uid not in documents:  # (else added before)
            documents[uid] = GeneratedRelease(uid, doc, wordings)
    index.memo["generated press releases"] = len(index.documents)
