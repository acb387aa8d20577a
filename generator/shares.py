"""How a rebuild's dirty outputs are shared between render processes: which outputs are one
document's (rendered in chunks by short-lived processes) and which read many documents (lists,
feeds, compliance pages: weighed heavier, and made together when they share a name).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.render import Output

#: What an output that reads many documents weighs when a rebuild's outputs are shared,
#: in outputs of one document (a list at 5,000 documents takes as long as ~30 pages).
SITE_WIDE_WEIGHT = 30


def of_one_document(keys: tuple[str, ...]) -> bool:
    """Whether an output with these input keys is one document's (its page, feed, report,
    attachment; a press release's page also names its passport), not the whole site's nor
    a state body's (a list, a body's feed of its thousand documents, the compliance pages):
    ``generator.deps``. Rendered in a chunk, a body's feed made its process copy the
    objects of all the body's documents (250 MB at 20,000 documents, the peak)."""
    uids = {key.partition(":")[2] for key in keys if key.startswith(("src:", "meta:"))}
    return 0 < len(uids) <= 2


def units_of(outputs: list[Output]) -> list[list[Output]]:
    """``outputs`` by what is made together: one list per ``together`` name, one per output
    without."""
    units: dict[str, list[Output]] = {}
    for output in outputs:
        units.setdefault(output.together or "\0" + output.path, []).append(output)
    return list(units.values())


def shares_of(outputs: list[Output], count: int) -> list[list[Output]]:
    """``outputs`` in at most ``count`` shares of about the same work (an output of the whole
    site weighs SITE_WIDE_WEIGHT), the outputs made together in one share, each share in
    the order of ``outputs``; no empty share, at least one."""
    def weight(unit: list[Output]) -> int:
        return sum(1 if of_one_document(o.keys) else SITE_WIDE_WEIGHT for o in unit)
    shares: list[list[Output]] = [[] for _ in range(max(1, count))]
    loads = [0] * len(shares)
    for unit in sorted(units_of(outputs), key=weight, reverse=True):  # heaviest first
        lightest = loads.index(min(loads))
        shares[lightest] += unit
        loads[lightest] += weight(unit)
    order = {id(o): i for i, o in enumerate(outputs)}
    return [sorted(share, key=lambda o: order[id(o)]) for share in shares if share] or [[]]
