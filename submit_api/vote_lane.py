"""The vote lane: a signed-in citizen's vote answered without Flask's request machinery (R11).

Votes are the portal's hottest write: at the end of a discussion thousands of people press
"for" or "against" within minutes. A Flask request costs more CPU than the vote itself (context,
session cookie, limiter, CSRF, response object: bench/api_load.py), so this WSGI middleware
answers the one common case directly and hands everything else to Flask, unchanged:

* ``POST /api/documents/<uid>/votes`` or ``POST /api/proposals/<id>/votes``,
* a session cookie Flask signed (checked with Flask's own serializer, remembered per cookie
  until it would expire) that names a session,
* a CSRF token :func:`submit_api.votes.check_csrf` has already found valid for that session,
* a small JSON body ``{"value": "for" | "against"}``,
* a document (or a published proposal's document) whose discussion is open today,
* and the vote writer's answer "ok".

Then the vote has been committed by the same writer the Flask view uses
(:func:`submit_api.votes.write_vote`) and the answer is the same bytes and headers the view
would send (``tests/test_vote_lane.py`` compares them). On anything else - no cookie, an
unknown token, a closed discussion, bad JSON, a refused or failed write - the request goes on
to Flask with its body intact, and Flask gives the answer and, for a refusal, the one error
shape. A refused write that goes on to Flask is written again there: the writer's checks are
repeatable (a dead session stays dead, a person over the limit stays over it, a vote is an
upsert), so the answer is the same one.
"""
from __future__ import annotations

import io
import re
import time
from collections.abc import Callable, Iterable

from flask import Flask
from itsdangerous import BadSignature
from werkzeug.datastructures import Headers
from werkzeug.http import parse_cookie

from ashyq import jsonread
from ashyq.headers import API_CSP, add_security_headers
from submit_api import vote_writer, votes
from submit_api.db import thread_connection
from submit_api.manifest import ManifestUnavailable, app_manifest
from submit_api.public import PUBLIC_STATUSES
from submit_api.store import proposals as proposal_store

ROUTE = re.compile(r"/api/(?:documents/(?P<uid>[^/]+)|proposals/(?P<proposal>[0-9]{1,18}))/votes")
MAX_BODY = 256            # {"value": "against"} and some room; anything larger goes to Flask
SESSION_CACHE_SIZE = 50_000


class VoteLane:
    """WSGI middleware in front of ``app.wsgi_app`` (see the module's text)."""

    def __init__(self, app: Flask, next_app: Callable):
        self.app, self.next_app = app, next_app
        self.serializer = app.session_interface.get_signing_serializer(app)
        self.max_age = int(app.permanent_session_lifetime.total_seconds())
        self.cookie_name = app.config["SESSION_COOKIE_NAME"]
        self._sessions: dict[tuple[str, str], tuple[dict, float]] = {}
        with app.app_context():   # the view's own answer, made by Flask's JSON provider
            self.bodies = {value: app.json.response(votes.accepted(value)).get_data()
                           for value in votes.VOTE_VALUES}
            self.content_type = app.json.response({}).content_type
        headers = Headers()
        add_security_headers(headers, API_CSP)
        # Flask marks an answer that read the session as varying with the cookie
        self.headers = [("Content-Type", self.content_type), *headers.items(), ("Vary", "Cookie")]

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "POST":
            route = ROUTE.fullmatch(environ.get("PATH_INFO", ""))
            if route is not None:
                value = self._vote(environ, route)
                if value is not None:
                    body = self.bodies[value]
                    start_response("200 OK", [*self.headers, ("Content-Length", str(len(body)))])
                    return [body]
        return self.next_app(environ, start_response)

    # -- the happy path ----------------------------------------------------------------------
    def _vote(self, environ: dict, route: re.Match) -> str | None:
        """The value of a vote written here, or None: Flask answers the request."""
        config = self.app.config
        data = self._session(environ, config)
        if data is None or not data.get("sid"):
            return None
        token = environ.get("HTTP_X_CSRFTOKEN") or environ.get("HTTP_X_CSRF_TOKEN") or ""
        if not votes.csrf_known_valid(config, token, data.get("csrf_token")):
            return None
        value = self._value(environ)
        if value is None:
            return None
        target = self._open_target(route, config)
        if target is None:
            return None
        try:
            outcome = votes.write_vote(config, *target, data["sid"], value)
        except (vote_writer.WriterUnavailable, TimeoutError):
            return None
        return value if outcome.status == "ok" else None

    def _session(self, environ: dict, config) -> dict | None:
        """The session Flask would open from the cookie (its own serializer and lifetime)."""
        cookie = parse_cookie(environ).get(self.cookie_name)
        if not cookie:
            return None
        key = (cookie, str(config["SECRET_KEY"]))
        now = time.time()
        cached = self._sessions.get(key)
        if cached is not None and now - cached[1] <= self.max_age:
            return cached[0]
        try:
            data, signed_at = self.serializer.loads(cookie, max_age=self.max_age,
                                                    return_timestamp=True)
        except BadSignature:
            return None
        if not isinstance(data, dict):
            return None
        if len(self._sessions) >= SESSION_CACHE_SIZE:
            self._sessions.clear()
        self._sessions[key] = (data, signed_at.timestamp())
        return data

    @staticmethod
    def _value(environ: dict) -> str | None:
        """``"for"`` or ``"against"`` from a small JSON body; the body is put back for Flask."""
        try:
            length = int(environ.get("CONTENT_LENGTH") or -1)
        except ValueError:
            return None
        if not 0 < length <= MAX_BODY:
            return None
        raw = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(raw)
        try:
            body = jsonread.loads(raw)
        except jsonread.JsonRefused:
            return None
        value = body.get("value") if isinstance(body, dict) else None
        return value if value in votes.VOTE_VALUES else None

    def _open_target(self, route: re.Match, config) -> tuple[str, str] | None:
        """``(target type, target id)`` when the discussion is open today (R11)."""
        if route["uid"] is not None:
            kind, target, uid = "document", route["uid"], route["uid"]
        else:
            conn = thread_connection(config["DATABASE"], config["SQLITE_SYNCHRONOUS"])
            row = proposal_store.document_and_status(conn, int(route["proposal"]))
            if row is None or row[1] not in PUBLIC_STATUSES:
                return None
            kind, target, uid = "proposal", str(int(route["proposal"])), row[0]
        try:
            doc = app_manifest(self.app).get(uid)
        except ManifestUnavailable:
            return None
        if doc is None or doc.status() != "open":
            return None
        return kind, target
