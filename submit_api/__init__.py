"""The submission service: sign-in, votes and proposals into SQLite (Flask).

``create_app(test_config=None)``: defaults, then ``ASHYQ_*`` environment variables, then the
test configuration. Routes are declared with their full ``/api/...`` paths.
"""
from __future__ import annotations

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_mapping(SECRET_KEY="dev", DATABASE="var/ashyq.sqlite3")
    app.config.from_prefixed_env("ASHYQ")
    if test_config:
        app.config.update(test_config)

    @app.get("/api/health")
    def health():
        return {"ok": True}

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        """One JSON error shape for every error."""
        body = {"ok": False, "status": exc.code, "error": exc.description, "errors": []}
        return jsonify(body), exc.code

    return app
