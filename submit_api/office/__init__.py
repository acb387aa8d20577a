"""The staff back office as server-rendered pages at ``/office/``, in Kazakh and Russian (R3),
with no client framework: the operator's moderation queue (R15), the administrator's answer
queue (R16), staff rights (R8), the audit log and the final reports (R17).

The views call the same library functions as the JSON office (:mod:`submit_api.office_api`):
:mod:`submit_api.moderation`, :mod:`submit_api.staff`, :mod:`submit_api.audit`. The library
enforces every role; the views only turn its small exceptions into pages that say why.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint

HERE = Path(__file__).resolve().parent

bp = Blueprint("office", __name__, url_prefix="/office",
               static_folder=str(HERE.parent / "static" / "office"), static_url_path="/static")



@bp.record_once
def _i18n(state) -> None:
    """``{% trans %}`` in office templates; ``_``/``gettext`` come per request (office.base)."""
    state.app.jinja_env.add_extension("jinja2.ext.i18n")


from submit_api.office import base, people, queues, records  # noqa: E402,F401  (register the views)
