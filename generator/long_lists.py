"""Long lists bounded, for readers on phones at a country's scale (issue 10).

At 20,000 passports the discussions list was one page of 20,000 rows (18 MB), the feeds page
and the press releases 7-8 MB each, the compliance overview 6.5-8.8 MB of violations, and the
home page listed every open discussion (450 KB): more than a phone on a mobile network loads
or lays out, and each of them written again for every document added. A list page now shows
at most :data:`LIST_LIMIT` items, those a reader comes for first: the discussions open now,
then the upcoming ones, then the closed; the newest press releases; the first violations.
The whole of each list stays one click away and bounded by a state body: every state body's
page lists all its discussions and materials, its compliance page all its checks, and the
discussions page links every state body with its counts (:func:`bodies_with_discussions`);
search and the open data hold every document. A site with no more items than the limit
lists them all, in the order it always did.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence, TypeVar

from generator.content import Administrator, Document

T = TypeVar("T")

#: The most items a list page shows (rows of the discussions table, press releases, feeds).
LIST_LIMIT = 100
#: The most open discussions the home page shows (the discussions page has them all first).
HOME_OPEN_LIMIT = 10
#: The press releases the home page shows.
HOME_LIMIT = 5
#: Which discussions a bounded list shows first.
STATUS_ORDER = ("open", "scheduled", "closed")


def first(items: Sequence[T]) -> list[T]:
    """The first :data:`LIST_LIMIT` of ``items``, in their order (the press releases: the
    newest; the compliance overview's violations)."""
    return list(items[:LIST_LIMIT])


def home_open(opened: Sequence[Document]) -> list[Document]:
    """The open discussions the home page shows: the newest :data:`HOME_OPEN_LIMIT`."""
    return list(opened[:HOME_OPEN_LIMIT])


def first_discussions(discussions: Sequence[Document]) -> list[Document]:
    """At most :data:`LIST_LIMIT` of ``discussions`` (given newest first): all of them, in
    their order, if they fit; else the open ones first, then the scheduled, then the closed,
    each newest first."""
    limit = LIST_LIMIT
    if len(discussions) <= limit:
        return list(discussions)
    rank = {status: i for i, status in enumerate(STATUS_ORDER)}
    return sorted(discussions, key=lambda doc: rank.get(doc.status, len(rank)))[:limit]


@dataclass(frozen=True)
class BodyDiscussions:
    """A state body with discussions: how many are open now, and how many in all."""

    admin: Administrator
    open: int
    total: int


def bodies_with_discussions(discussions: Iterable[Document],
                            administrators: dict[str, Administrator]
                            ) -> dict[str, BodyDiscussions]:
    """Every state body that has discussions, by code (in code order), with its counts."""
    counts: dict[str, list[int]] = {}
    for doc in discussions:
        found = counts.setdefault(doc.administrator or "", [0, 0])
        found[0] += doc.status == "open"
        found[1] += 1
    return {code: BodyDiscussions(administrators[code], *counts[code])
            for code in sorted(counts) if code in administrators}
