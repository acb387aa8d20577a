"""The security headers of every response of the portal, defined once (issue 13).

Each side applies them in one place: the static site in its WSGI app (``StaticSite``), the
Flask service in ``after_request`` (``submit_api.create_app``); the production nginx
configuration is written from the same set. A header a response already carries is kept (the
office sets its own Content-Security-Policy, the static site the pages' one).
"""
from __future__ import annotations

from collections.abc import MutableMapping

#: On every response: static files, pages, redirects, errors, JSON, office pages.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

#: For what is never a page (API JSON, its errors and redirects): nothing in it may run, load
#: or be framed.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def add_security_headers(headers: MutableMapping[str, str], csp: str | None = None) -> None:
    """Add the set (and ``csp`` as Content-Security-Policy) unless the response has its own."""
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)
    if csp:
        headers.setdefault("Content-Security-Policy", csp)
