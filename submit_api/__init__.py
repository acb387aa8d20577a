"""The submission service: sign-in with an electronic digital signature, votes and proposals,
into SQLite (Flask). Routes carry their full ``/api/...`` paths; ``ashyq serve`` mounts the
app beside the static site on one origin.

``create_app(test_config=None)``: defaults, then ``ASHYQ_*`` environment variables, then the
test configuration.
"""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from ashyq import settings as ashyq_settings
from ashyq.headers import API_CSP, add_security_headers
from ashyq.i18n import compile_catalogs
from ashyq.settings import SETTINGS
from ashyq.theme import theme_url
from submit_api import db, errors
from submit_api.limits import limiter

log = logging.getLogger(__name__)

DEV_SECRET = SETTINGS["SECRET_KEY"].default
DEV_IDENTITY_KEY = SETTINGS["IDENTITY_KEY"].default


class ConfigurationError(RuntimeError):
    "The configuration is unsafe or incomplete"


def check_production(config: dict) -> None:
    """A production configuration has real secrets, trusted CAs, its public HTTPS origin and
    no development shortcut; its cookies travel over TLS only."""
    problems = []
    if config["AUDIENCE"] == SETTINGS["AUDIENCE"].default or not str(config["AUDIENCE"]).startswith("https://"):
        problems.append("set ASHYQ_AUDIENCE to the portal's public origin (https://...)")
    if config["DEMO_SIGNER"]:
        problems.append("ASHYQ_DEMO_SIGNER cannot be enabled in production")
    if config["SECRET_KEY"] == DEV_SECRET:
        problems.append("set ASHYQ_SECRET_KEY")
    if config["IDENTITY_KEY"] == DEV_IDENTITY_KEY:
        problems.append("set ASHYQ_IDENTITY_KEY")
    if not config["EDS_TRUSTED_CERTS"] and config["EDS_CHECKER"] == "xmldsig":
        problems.append("set ASHYQ_EDS_TRUSTED_CERTS to the NCA root and intermediate certificates")
    if problems:
        raise ConfigurationError("production configuration: " + "; ".join(problems))
    config["SESSION_COOKIE_SECURE"] = True      # TLS cookies


def create_app(test_config: dict | None = None) -> Flask:
    """The service's app: settings from :func:`ashyq.settings.load` (defaults, ``ASHYQ_*``
    variables, then ``test_config``)."""
    app = Flask(__name__)
    app.config.from_mapping(ashyq_settings.load(test_config))
    if app.config["ENV"] == "production":
        check_production(app.config)
    compile_catalogs(Path(app.config["LOCALE_DIR"]))

    if app.config["VOTE_LANE"]:
        from submit_api.vote_lane import VoteLane
        app.wsgi_app = VoteLane(app, app.wsgi_app)
    if app.config["TRUSTED_PROXIES"]:
        # The client's address for the limits (and the scheme) from the trusted proxies only.
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    db.init_app(app)
    errors.init_app(app)
    # The office and follow pages share the site's theme files, by the served build's names.
    app.jinja_env.filters["theme_url"] = theme_url
    app.context_processor(lambda: {"OUTPUT_PATH": app.config["OUTPUT"]})
    csrf = CSRFProtect(app)
    limiter.init_app(app)

    from submit_api import (auth, egov, follow, ingest, office_api, proposals, receipts, schema,
                            votes)
    for view in votes.VOTE_VIEWS:  # checked by votes.check_csrf, remembered per token
        csrf.exempt(f"submit_api.votes.{view}")
    auth.init_app(app)
    egov.init_app(app)
    follow.init_app(app)
    for module in (auth, egov, follow, votes, proposals, receipts, office_api, ingest, schema):
        app.register_blueprint(module.bp)
    from submit_api.office import bp as office_bp
    app.register_blueprint(office_bp)  # the server-rendered back office at /office/

    @app.after_request
    def security_headers(response):
        """Every answer (JSON, errors, redirects, office pages) with the one header set; the
        office's pages keep their own policy (set by its blueprint, which runs first)."""
        add_security_headers(response.headers, API_CSP)
        return response

    @app.get("/api/health")
    def health():
        return {"ok": True}

    return app
