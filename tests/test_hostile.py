"""Hostile input (issue 13): every refusal is a 4xx in the one error shape, never a 500, and
every response of the portal carries the security headers. One test per finding; the fuzz
loop at the end throws hostile bodies at every POST route."""
from __future__ import annotations

import pytest
from ashyq.web import portal_app
from tests.test_web import ClosingClient

ERROR_KEYS = {"ok", "status", "error", "errors"}


def assert_refused(response, status: int, code: str | None = None) -> dict:
    """A refusal in the one JSON error shape (submit_api/errors.py)."""
    assert response.status_code == status, (response.status_code, response.get_data()[:300])
    body = response.get_json()
    assert set(body) == ERROR_KEYS and body["ok"] is False and body["status"] == status
    if code:
        assert body["errors"][0]["code"] == code, body
    return body


# --- security headers on every response (static side and Flask side) ------------------------

@pytest.fixture(scope="module")
def portal(sample_site, tmp_path_factory):
    base = tmp_path_factory.mktemp("portal")
    return ClosingClient(portal_app(sample_site, {"TESTING": True,
                                                  "DATABASE": str(base / "db.sqlite3")}))


@pytest.mark.parametrize("path", [
    "/",                                   # redirect to the language
    "/ru/discussions",                     # redirect to the folder
    "/.output.builds/",                    # dotfile 404
    "/ru/no-such-page/",                   # the site's 404 page
    "/theme/css/site.css",                 # a static file
    "/ru/",                                # a page
    "/api/health",                         # API JSON
    "/api/nothing-here",                   # API error
    "/api/openapi.json",
    "/office/",                            # office page (its own CSP)
    "/office/nothing",                     # office error page
])
def test_every_response_carries_the_security_headers(portal, path):
    from ashyq.headers import SECURITY_HEADERS
    response = portal.get(path)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (path, name, dict(response.headers))
    csp = response.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp, (path, csp)


def test_api_answers_may_run_nothing(portal):
    csp = portal.get("/api/health").headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp


# --- Range headers on static files ----------------------------------------------------------

@pytest.mark.parametrize("value", ["bytes=5-1", "bytes=abc", "foo", "bytes=0-0,5-1", "bytes=-0"])
def test_an_invalid_range_is_ignored(portal, value):
    """RFC 9110 14.2: a Range header that cannot be parsed is ignored: the whole file."""
    full = portal.get("/theme/css/site.css")
    response = portal.get("/theme/css/site.css", headers={"Range": value})
    assert response.status_code in (200, 416), response.status_code
    if response.status_code == 200:
        assert response.get_data() == full.get_data()
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_an_unsatisfiable_range_is_416_and_a_good_one_206(portal):
    size = len(portal.get("/theme/css/site.css").get_data())
    response = portal.get("/theme/css/site.css", headers={"Range": f"bytes={size + 10}-"})
    assert response.status_code == 416 and response.headers["Content-Range"] == f"bytes */{size}"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    part = portal.get("/theme/css/site.css", headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and len(part.get_data()) == 10
