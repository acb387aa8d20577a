"""R12: on a passport's or report's posting day the site carries a press release in both
languages announcing the discussion dates - written by the editor, or generated here."""
from __future__ import annotations

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


def add_generated_press_releases(index: SiteIndex,
                                 catalogs: dict[str, gettext.NullTranslations]) -> None:
    """Add a generated press release for every discussion no committed release announces.

    Idempotent: a generated release already in the index is left as it is, and an index
    no document was added to since is not looked through again (each language's generators
    and the build ask: five passes over 40,000 documents).
    """
    if index.memo.get("generated press releases") == len(index.documents):
        return
    documents, release = index.documents, DOC_TYPES["press_release"]
    wordings = {lang: _wording(catalogs[lang]) for lang in LANGUAGES}  # (20,000 releases)
    for uid, doc in generated_releases(index):
        if uid in documents:  # (added before)
            continue
        meta, posted = {}, doc.posted.isoformat()
        for lang, (kind, text) in wordings.items():
            values = {"title": doc.title(lang), "start": date_long(doc.posted, lang),
                      "end": date_long(doc.discussion_end, lang)}
            meta[lang] = {"uid": uid, "type": "press_release", "title": kind % values,
                          "summary": text % values, "date": posted,
                          "administrator": doc.administrator, "document": doc.uid}
        documents[uid] = Document(uid, release, {}, meta, generated=True)
    index.memo["generated press releases"] = len(index.documents)
