"""The whole portal as one WSGI application: the API and office under ``/api`` and
``/office``, the static site everywhere else, on one origin (``ashyq serve``)."""
from __future__ import annotations

import os
from pathlib import Path

from werkzeug.exceptions import NotFound, RequestedRangeNotSatisfiable
from werkzeug.http import parse_range_header
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.utils import redirect, send_from_directory
from werkzeug.wrappers import Request, Response

from ashyq.doctypes import DEFAULT_LANGUAGE, LANGUAGES
from ashyq.headers import add_security_headers
from ashyq.theme import IMMUTABLE, is_hashed
from portal.language import best_language


def site_csp(ncalayer_url: str | None = None) -> str:
    """The policy the pages carry (pelicanconf.CONTENT_SECURITY_POLICY, one source of truth),
    letting scripts connect to this origin and to NCALayer."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "ashyq_pelicanconf", Path(__file__).resolve().parent.parent / "pelicanconf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return (f"{module.CONTENT_SECURITY_POLICY}; connect-src 'self' "
            f"{ncalayer_url or module.NCALAYER_URL}")


DEFAULT_CSP = site_csp()


SEARCH_PATHS = tuple(f"{lang}/search/" for lang in LANGUAGES) + ("pagefind/",)


class ClosingFile:
    """A file response's body that closes its file when closed or let go: Werkzeug's
    development server can leave a response unclosed when the client goes away (a browser
    closed while the favicon was sent), and the open file then warned when collected."""

    def __init__(self, body):
        self.body = body

    def __iter__(self):
        return iter(self.body)

    def close(self) -> None:
        close = getattr(self.body, "close", None)
        if close is not None:
            close()

    __del__ = close


class StaticSite:
    """Serves a built site. The output path is resolved on every request, so an atomic swap
    of the ``output`` link takes effect at once and no request mixes two builds."""

    def __init__(self, output: Path, csp: str | None = None):
        self.output = Path(output)
        self.csp = self.search_csp = None
        if csp:  # the pages also carry it as a <meta>; frame-ancestors works only as a header
            from generator.search import search_policy
            self.csp = f"{csp}; frame-ancestors 'none'"
            self.search_csp = f"{search_policy(csp)}; frame-ancestors 'none'"

    def __call__(self, environ, start_response):
        """Every response, redirects and 404s included, gets the security headers here."""
        response = self.respond(environ)
        searching = Request(environ).path.lstrip("/").startswith(SEARCH_PATHS)
        add_security_headers(response.headers, self.search_csp if searching else self.csp)
        return response(environ, start_response)

    def respond(self, environ) -> Response:
        request = Request(environ)
        root = os.path.realpath(self.output)
        path = request.path
        if path == "/":
            lang = best_language(request.headers.get("Accept-Language"))  # as nginx does
            response = redirect(f"/{lang}/", 302)
            response.vary.add("Accept-Language")
            return response
        relative = path.lstrip("/")
        if any(part.startswith(".") for part in relative.split("/")):
            return self.not_found(root, relative)  # build state, temp files
        if path.endswith("/"):
            relative += "index.html"
        elif os.path.isdir(os.path.join(root, relative)):
            return redirect(path + "/", 301)
        if parse_range_header(environ.get("HTTP_RANGE")) is None:
            environ = {k: v for k, v in environ.items() if k != "HTTP_RANGE"}  # RFC 9110 14.2:
            # a Range that cannot be parsed is ignored, the whole file is sent
        try:
            # Pages change when decisions are published: browsers revalidate them (ETag) every
            # time; a theme file under its hashed name never changes (a year, immutable);
            # other theme files and downloads may be cached for an hour.
            html = relative.endswith(".html")
            response = send_from_directory(root, relative, environ, max_age=0 if html else 3600)
            response.response = ClosingFile(response.response)
            if html:
                response.cache_control.no_cache = True
            elif is_hashed(path):
                response.headers["Cache-Control"] = IMMUTABLE
                response.headers.pop("Expires", None)  # max-age says it all
        except NotFound:
            response = self.not_found(root, relative)
        except RequestedRangeNotSatisfiable as exc:  # beyond the end: 416 with the real length
            response = Response(status=416, headers=exc.get_headers(environ))
            response.headers.pop("Content-Type", None)
        return response

    @staticmethod
    def not_found(root: str, relative: str) -> Response:
        """The site's own 404 page in the language of the address (Kazakh by default)."""
        lang = relative.split("/", 1)[0]
        page = os.path.join(root, lang if lang in LANGUAGES else DEFAULT_LANGUAGE, "404.html")
        try:
            with open(page, encoding="utf-8") as f:
                return Response(f.read(), status=404, content_type="text/html; charset=utf-8")
        except OSError:
            return Response("404 Not Found", status=404, content_type="text/plain; charset=utf-8")


def portal_app(output: Path, api_config: dict | None = None, api_app=None,
               csp: str | None = DEFAULT_CSP):
    """Static site at ``/``, the Flask service at ``/api`` and its back office at ``/office``."""
    from submit_api import create_app

    api = api_app or create_app(api_config)
    return DispatcherMiddleware(StaticSite(output, csp), {"/api": _mounted(api, "/api"),
                                                     "/office": _mounted(api, "/office")})


def _mounted(app, prefix: str):
    """Give the Flask app its full path back: its routes are declared with ``/api/...``."""
    def wsgi(environ, start_response):
        environ = dict(environ)
        environ["PATH_INFO"] = prefix + environ.get("PATH_INFO", "")
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "")[: -len(prefix)] or ""
        return app(environ, start_response)
    return wsgi
