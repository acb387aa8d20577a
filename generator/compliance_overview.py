"""The compliance overview made from each state body's checks, kept between builds (issue 10).

The overview (``/{lang}/compliance/``) shows each state body's tally, the first violations of
all in rule order and how many there are. It used to run the whole check on every rebuild
whose ``compliance`` key changed - every added document: 100,000 checks at 20,000 passports,
half a second of an add. A state body's checks are a function of its ``compliance:<code>``
key (``generator.deps``: the key its own page is carried over by), so what the overview shows
of a body - its tally and its first violations - is kept under that key's fingerprint, and a
rebuild checks again only the bodies whose key changed (``check_body``), the checks charged to
no body (:func:`unassigned`), and, when many bodies changed (a new day), everything at once.
The result equals the one made from the whole check (tests/test_compliance.py).
"""
from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from itertools import chain

from generator.compliance import (
    Check, by_administrator, check, check_body, order_key, violations,
)
from generator.content import SiteIndex
from generator.rows import Rows


@dataclass
class Overview:
    """What the overview shows, and the whole lists of the bodies checked this time."""

    tallies: dict[str, tuple[int, int, int]]  # code: (passed, checks, violations)
    violations: list[Check]  # the first ``limit`` violations, in rule order
    total: int  # violations in all
    checked: dict[str, list[Check]] = field(default_factory=dict)  # code: its checks


def unassigned(index: SiteIndex, snapshot: dict | None) -> list[Check]:
    """The checks charged to no state body (R15 moderation and R17 forming the report are the
    operator's and the portal's; documents of no body), in rule order - those of
    ``check(index, snapshot)`` with no ``administrator``, without the whole check: the
    documents of no body judged with what every body's checks read (``check_body``), and the
    discussions' facts of every other body's discussions (R15, R17)."""
    from generator.compliance_record import discussion_checks

    theirs = check_body(index, snapshot, None)
    others = [doc for doc in index.discussions if doc.administrator]
    return sorted(theirs + [c for c in discussion_checks(index, snapshot, others)
                            if c.administrator is None], key=order_key)


def judged_bodies(index: SiteIndex, snapshot: dict | None) -> set[str]:
    """Every state body a check can be charged to: the listed ones (a document of another is
    a content problem, R8: not in the index) and those that posted a document served before
    (R9, R10, R12: withdrawn)."""
    served = (snapshot or {}).get("publication") or {}
    return {*index.administrators} | {
        entry["administrator"] for entry in served.values()
        if isinstance(entry, dict) and entry.get("administrator")}


def overview(index: SiteIndex, snapshot: dict | None, fingerprints: dict[str, str],
             kept: Rows, limit: int, apart_at_most: int) -> Overview:
    """The overview of ``check(index, snapshot)``: each body's share taken from ``kept`` (keyed
    by its ``compliance:<code>`` fingerprint in ``fingerprints``) or checked again - on its own
    documents for at most ``apart_at_most`` bodies, else by the whole check. ``kept`` is left
    holding the shares of this build (save it)."""
    codes = sorted(judged_bodies(index, snapshot))
    keys = {code: f"{code}\0{fingerprints[f'compliance:{code}']}" for code in codes
            if f"compliance:{code}" in fingerprints}
    stale = [code for code in codes if code not in keys or not kept.has(keys[code])]
    if len(stale) > apart_at_most:
        whole = check(index, snapshot)
        grouped = by_administrator(whole)
        checked = {code: grouped.get(code, []) for code in sorted({*codes, *grouped})}
        none = [c for c in whole if c.administrator is None]
    else:
        checked = {code: check_body(index, snapshot, code) for code in stale}
        none = unassigned(index, snapshot)
    tallies: dict[str, tuple[int, int, int]] = {}
    firsts = []
    for code in sorted({*codes, *checked}):
        if code in checked:
            mine = checked[code]
            bad = violations(mine)
            share = ((len(mine) - len(bad), len(mine), len(bad)), bad[:limit])
            if code in keys:
                kept.row(keys[code], lambda share=share: pickle.dumps(share))
        else:
            share = pickle.loads(kept.row(keys[code], _never))
        if share[0][1]:
            tallies[code] = share[0]
        firsts.append(share[1])
    bad = violations(none)
    found = sorted(chain(bad, *firsts), key=order_key)
    return Overview(tallies, found[:limit], len(bad) + sum(t[2] for t in tallies.values()),
                    checked)


def _never() -> bytes:
    raise AssertionError("a kept share was asked for and not kept")
