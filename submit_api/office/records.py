"""Read-only records for all staff: the audit log with its chain check, its CSV export, and
the final reports (R17) with the state of their delivery to the administrators."""
from __future__ import annotations

import json

from flask import Response, request

from submit_api import audit
from submit_api.db import get_db
from submit_api.errors import N_
from submit_api.office import bp
from submit_api.office.base import render_page, short_person, staff_page
from submit_api.store import reports as report_store

PER_PAGE = 50
ACTION_NAMES = {"grant": N_("Role granted"), "revoke": N_("Role revoked"),
                "moderate": N_("Moderation decision"), "answer": N_("Answer of the state body")}
CHAIN_PROBLEMS = {  # audit.verify's problems, by a word each contains
    "edited": N_("its content does not match its hash: the entry was edited"),
    "removed": N_("it does not follow the entry before it: an entry was removed or reordered"),
}
DELIVERY_NAMES = {"pending": N_("Waiting to be sent"), "sending": N_("Being sent"),
                  "sent": N_("Sent"), "failed": N_("Failed")}


def _page() -> int:
    try:
        return max(int(request.args.get("page", 1)), 1)
    except ValueError:
        return 1


def _target(target: str) -> str:
    kind, _sep, value = target.partition(":")
    return f"{kind}:{short_person(value)}" if kind == "person" else target


def _state(value: str | None) -> str:
    """A before/after JSON value, compact and with person hashes shortened."""
    if not value:
        return ""
    data = json.loads(value)
    if isinstance(data, dict):
        return ", ".join(f"{k}: {short_person(v) if isinstance(v, str) else v}"
                         for k, v in data.items() if v is not None)
    return str(data)


@bp.get("/audit")
@staff_page
def audit_log(person: str, roles):
    page = _page()
    action = request.args.get("action") if request.args.get("action") in ACTION_NAMES else None
    conn = get_db()
    rows = audit.entries(conn, PER_PAGE + 1, (page - 1) * PER_PAGE, action)
    entries = [{**r, "target": _target(r["target"]), "before": _state(r["before"]),
                "after": _state(r["after"])} for r in rows[:PER_PAGE]]
    chain = audit.verify(conn)
    problem = next((msg for word, msg in CHAIN_PROBLEMS.items() if word in chain.problem),
                   CHAIN_PROBLEMS["removed"]) if not chain.ok else None
    return render_page("office/audit.html", entries=entries, chain=chain, chain_problem=problem,
                       page=page, more=len(rows) > PER_PAGE, action=action,
                       ACTION_NAMES=ACTION_NAMES)


@bp.get("/audit.csv")
@staff_page
def audit_csv(person: str, roles):
    return Response(audit.export_csv(get_db()), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=ashyq-audit.csv"})


@bp.get("/reports")
@staff_page
def reports(person: str, roles):
    """R17: the final reports made when discussions ended, and their e-mail to administrators."""
    rows = report_store.with_deliveries(get_db(), limit=500)
    return render_page("office/reports.html", reports=rows, DELIVERY_NAMES=DELIVERY_NAMES)
