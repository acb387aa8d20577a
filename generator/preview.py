"""``ashyq preview``: an editor's live preview of the content tree.

Builds the site once, serves it on a local port, watches ``content/`` (and the theme), and
after every change rebuilds what changed - the same incremental build as production
(``generator.build``), so a passport's page is back in about a second - and reloads the page
open in the browser. A content problem does not stop the preview: the last good site stays
served and the page shows the problems (file, field, rule) until they are fixed.

The reload needs no inline script (the pages' policy forbids it): HTML responses of the
preview - never the built files - get ``<script src="/__preview/reload.js">``, which polls
``/__preview/state`` once a second.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
from pathlib import Path

from werkzeug.exceptions import NotFound
from werkzeug.serving import make_server
from werkzeug.utils import redirect, send_from_directory
from werkzeug.wrappers import Request, Response

from ashyq.doctypes import DEFAULT_LANGUAGE, LANGUAGES
from ashyq.i18n import compile_catalogs, translations
from generator.build import PROJECT_ROOT, BuildFailed, build
from generator.content import ContentInvalid

log = logging.getLogger(__name__)

STATE_PATH = "/__preview/state"
SCRIPT_PATH = "/__preview/reload.js"
TAG = f'<script src="{SCRIPT_PATH}" defer></script>'.encode()
POLL = 0.5  # seconds between two looks at the content tree
QUIET = 0.3  # seconds without a further change before building (editors save in bursts)


def _(message: str) -> str:
    """Marks a message for the catalogs; :meth:`Preview.state` translates it."""
    return message


BUILD_FAILED = _("The preview could not be rebuilt; it shows the last good build:")
RELOAD_JS = """(function () {
  var seen = null;
  function show(state) {
    var box = document.getElementById("ashyq-preview-problems");
    if (!state.problems.length) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("div");
      box.id = "ashyq-preview-problems";
      box.setAttribute("role", "alert");
      box.className = "window";
      document.body.prepend(box);
    }
    box.textContent = "";
    var title = document.createElement("strong");
    title.textContent = state.title;
    box.append(title);
    var list = document.createElement("ul");
    state.problems.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      list.append(item);
    });
    box.append(list);
  }
  function poll() {
    var lang = document.documentElement.lang || "kk";
    fetch("/__preview/state?lang=" + encodeURIComponent(lang), {cache: "no-store"})
      .then(function (r) { return r.json(); })
      .then(function (state) {
        if (seen !== null && state.version !== seen) { location.reload(); return; }
        seen = state.version;
        show(state);
      })
      .catch(function () {})
      .finally(function () { setTimeout(poll, 1000); });
  }
  poll();
})();
"""


def tree_state(*folders: Path) -> dict[str, tuple[int, int]]:
    """``path -> (mtime_ns, size)`` of every file under ``folders``."""
    found = {}
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in files:
                if name.startswith(".") or name.endswith("~"):
                    continue
                path = os.path.join(root, name)
                try:
                    stat = os.stat(path)
                except FileNotFoundError:
                    continue
                found[path] = (stat.st_mtime_ns, stat.st_size)
    return found


class Preview:
    """The watcher, the builder and the web app of one preview."""

    def __init__(self, content_dir: Path, output: Path, cache_dir: Path, *,
                 today: dt.date | None = None, site_url: str | None = None,
                 theme: Path | None = None):
        self.content_dir, self.output = Path(content_dir), Path(output)
        self.cache_dir, self.today, self.site_url = Path(cache_dir), today, site_url
        self.watched = [self.content_dir] + [Path(theme or PROJECT_ROOT / "themes")]
        self.version, self.problems = 0, []
        self.lock = threading.Lock()
        self.stop = threading.Event()

    # -- building ------------------------------------------------------------------------
    def rebuild(self) -> bool:
        """One build of the current content; False (problems kept for the page) if refused."""
        started = time.perf_counter()
        try:
            result = build(self.content_dir, self.output, cache_dir=self.cache_dir,
                           today=self.today, site_url=self.site_url)
        except ContentInvalid as exc:
            problems = [str(p) for p in exc.problems]
        except BuildFailed as exc:
            problems = [str(exc)]
        else:
            problems = []
            log.info("preview: %d pages rendered in %.1f s", result.rendered,
                     time.perf_counter() - started)
        with self.lock:
            self.problems = problems
            self.version += 1
        for problem in problems:
            log.warning("preview: %s", problem)
        return not problems

    def watch(self, seen: dict[str, tuple[int, int]] | None = None) -> None:
        """Rebuild after every change to the watched folders since ``seen`` (their
        :func:`tree_state`; default: now), until stopped."""
        seen = tree_state(*self.watched) if seen is None else seen
        while not self.stop.wait(POLL):
            now = tree_state(*self.watched)
            if now == seen:
                continue
            while not self.stop.wait(QUIET):  # let a burst of saves finish
                later = tree_state(*self.watched)
                if later == now:
                    break
                now = later
            seen = now
            try:
                self.rebuild()
            except Exception:  # noqa: BLE001 - the preview keeps running
                log.exception("preview: the build failed")

    # -- serving -------------------------------------------------------------------------
    def state(self, lang: str) -> dict:
        lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        catalog = translations(str(compile_catalogs(self.cache_dir / "locale")), lang)
        with self.lock:
            return {"version": self.version, "problems": list(self.problems),
                    "title": catalog.gettext(BUILD_FAILED)}

    def __call__(self, environ, start_response):
        request = Request(environ)
        path = request.path
        if path == STATE_PATH:
            response = Response(json.dumps(self.state(request.args.get("lang", ""))),
                                mimetype="application/json")
            response.cache_control.no_store = True
        elif path == SCRIPT_PATH:
            response = Response(RELOAD_JS, mimetype="text/javascript")
            response.cache_control.no_store = True
        elif path == "/":
            response = redirect(f"/{DEFAULT_LANGUAGE}/", 302)
        else:
            response = self.static(path, environ)
        return response(environ, start_response)

    def static(self, path: str, environ) -> Response:
        root = os.path.realpath(self.output)
        relative = path.lstrip("/")
        if any(part.startswith(".") for part in relative.split("/")):
            return Response("not found", 404)
        if path.endswith("/"):
            relative += "index.html"
        elif os.path.isdir(os.path.join(root, relative)):
            return redirect(path + "/", 301)
        try:
            response = send_from_directory(root, relative, environ)
        except NotFound:
            return Response("not found", 404)
        response.cache_control.no_store = True
        if relative.endswith(".html"):
            response.direct_passthrough = False
            html = response.get_data()
            response.set_data(html.replace(b"</head>", TAG + b"</head>", 1))
        return response


def serve(content_dir: Path, output: Path, cache_dir: Path, *, host: str = "127.0.0.1",
          port: int = 8001, today: dt.date | None = None, site_url: str | None = None,
          ready=None) -> None:
    """Build, then serve and watch until interrupted (Ctrl-C)."""
    preview = Preview(content_dir, output, cache_dir, today=today,
                      site_url=site_url or f"http://{host}:{port}")
    # what the first build reads: a change saved while it runs (or before the watcher's
    # thread first looks) is built next, not missed
    seen = tree_state(*preview.watched)
    preview.rebuild()
    server = make_server(host, port, preview, threaded=True)
    watcher = threading.Thread(target=preview.watch, args=(seen,), name="ashyq-preview",
                               daemon=True)
    watcher.start()
    log.info("preview of %s at http://%s:%d/ (Ctrl-C stops it)", content_dir, host,
             server.server_port)
    if ready:
        ready(preview, server)
    try:
        server.serve_forever()
    finally:
        preview.stop.set()
        watcher.join(timeout=5)
        server.server_close()
