"""The portal's single origin: static site, language choice at /, the API mounted at /api."""
import re

import pytest
from werkzeug.test import Client

from ashyq.theme import IMMUTABLE
from portal.language import best_language
from portal.web import portal_app
from tests.helpers import ACCEPT_LANGUAGE


class ClosingClient(Client):
    """A test client that reads and closes every response (no file handle left open)."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        response.get_data()
        response.close()
        return response


@pytest.fixture
def client(small_content, build_site):
    return ClosingClient(portal_app(build_site(small_content), {"TESTING": True}))


def test_root_chooses_language_by_q_values_kazakh_by_default(client):
    """The same table nginx is checked against (tests/test_stack.py)."""
    for accept, lang in ACCEPT_LANGUAGE:
        headers = {"Accept-Language": accept} if accept else {}
        response = client.get("/", headers=headers)
        assert (response.status_code, response.headers["Location"]) == (302, f"/{lang}/"), accept
        assert best_language(accept) == lang
    assert "Accept-Language" in response.headers["Vary"]


def test_pages_directories_and_missing_files(client):
    page = client.get("/ru/discussions/BP-2026-225-001/")
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert "Программа BP-2026-225-001" in page.get_data(as_text=True)
    assert client.get("/ru/discussions").headers["Location"].endswith("/ru/discussions/")
    missing = client.get("/ru/no-such-page/")
    assert missing.status_code == 404 and "Страница не найдена" in missing.get_data(as_text=True)
    assert "Бет табылмады" in client.get("/nothing").get_data(as_text=True)
    assert client.get("/../etc/passwd").status_code == 404


def test_a_new_build_is_served_at_once(small_content, build_site):
    from tests.helpers import write_document
    site = build_site(small_content)
    client = ClosingClient(portal_app(site, {"TESTING": True}))
    assert client.get("/kk/discussions/BP-2026-225-050/").status_code == 404
    write_document(small_content, "BP-2026-225-050")
    build_site(small_content)
    assert client.get("/kk/discussions/BP-2026-225-050/").status_code == 200


def test_api_is_mounted_under_api(client):
    response = client.get("/api/health")
    assert response.status_code == 200 and response.json == {"ok": True}
    missing = client.get("/api/nothing-here")
    assert missing.status_code == 404
    assert set(missing.json) == {"ok", "status", "error", "errors"} and missing.json["ok"] is False


def test_static_pages_carry_security_headers(client):
    response = client.get("/ru/discussions/BP-2026-225-001/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/.output.builds/").status_code == 404


def test_pages_are_revalidated_assets_cached(client):
    page = client.get("/ru/discussions/BP-2026-225-001/")
    assert "no-cache" in page.headers["Cache-Control"] and page.headers.get("ETag")
    css = client.get("/theme/css/site.css")  # a plain theme name, as before: an hour
    assert "max-age=3600" in css.headers["Cache-Control"]
    hashed = re.search(r'href="(/theme/css/site\.[0-9a-f]{10}\.css)"', page.get_data(as_text=True))
    year = client.get(hashed.group(1))  # the name the pages use changes with the bytes
    assert year.status_code == 200 and year.get_data() == css.get_data()
    assert year.headers["Cache-Control"] == IMMUTABLE and "Expires" not in year.headers
    again = client.get(hashed.group(1), headers={"If-None-Match": year.headers["ETag"]})
    assert again.status_code == 304 and again.headers["Cache-Control"] == IMMUTABLE
    gone = client.get("/theme/css/site.0123456789.css")  # not (or no longer) built
    assert gone.status_code == 404 and "immutable" not in gone.headers.get("Cache-Control", "")


def test_a_file_response_dropped_unread_closes_its_file(client):
    """A client that goes away mid-file (Werkzeug's server then may not close the response):
    the file is closed when the response is let go, with no ResourceWarning (a browser
    closed while the favicon was sent failed a test run)."""
    import gc
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        iterator = client.application(
            {"REQUEST_METHOD": "GET", "PATH_INFO": "/kk/index.html", "SERVER_NAME": "x",
             "SERVER_PORT": "80", "wsgi.url_scheme": "http", "wsgi.input": None},
            lambda status, headers, exc_info=None: None)
        assert next(iter(iterator))  # a first chunk sent, then the client is gone
        del iterator
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
