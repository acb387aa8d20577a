"""The public snapshot as the build sees it: vote totals and published proposals with their
answers, grouped by document and part. The build reads only this file, never the database
(DESIGN.md, boundary 1)."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

ZERO = {"for": 0, "against": 0}


def day_of(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value[:10]) if value else None


@dataclass
class PublicState:
    """Totals and published proposals; empty when the service has nothing yet."""

    documents: dict[str, dict[str, int]] = field(default_factory=dict)
    proposals: dict[str, dict[str, list[dict]]] = field(default_factory=dict)

    def votes(self, uid: str) -> dict[str, int]:
        return {**ZERO, **self.documents.get(uid, {})}

    def proposals_of(self, uid: str) -> dict[str, list[dict]]:
        return self.proposals.get(uid, {})


def public_state(snapshot: dict | None) -> PublicState:
    """Group a snapshot (``submit_api.public.public_snapshot``) for the templates."""
    if not snapshot:
        return PublicState()
    grouped: dict[str, dict[str, list[dict]]] = {}
    for item in snapshot.get("proposals", []):
        entry = dict(item, published_date=day_of(item.get("published")),
                     answer_date=day_of((item.get("answer") or {}).get("date")))
        grouped.setdefault(item["document"], {}).setdefault(item["part"], []).append(entry)
    return PublicState(dict(snapshot.get("documents", {})), grouped)


def read_snapshot(path: str | Path | None) -> dict | None:
    """The raw public snapshot (publication record, discussions' facts), or None."""
    if not path or not Path(path).exists():
        return None
    return json.loads(Path(path).read_text(encoding="utf-8"))


def load_public_state(path: str | Path | None) -> PublicState:
    if not path or not Path(path).exists():
        return PublicState()
    return public_state(json.loads(Path(path).read_text(encoding="utf-8")))
