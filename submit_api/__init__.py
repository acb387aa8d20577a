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

from ashyq.i18n import compile_catalogs
from submit_api import db, errors
from submit_api.limits import limiter

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "development-only-secret"
DEV_IDENTITY_KEY = "development-only-identity-key"

DEFAULTS = {
    "ENV": "development",                 # "production" refuses development shortcuts
    "SECRET_KEY": DEV_SECRET,              # signs session cookies and CSRF tokens
    "IDENTITY_KEY": DEV_IDENTITY_KEY,      # keys the IIN hash (R13); never store the IIN
    "DATABASE": str(ROOT / "var" / "ashyq.sqlite3"),
    "SQLITE_SYNCHRONOUS": "FULL",
    "LITESTREAM_CONFIG": "/etc/litestream.yml",    # the replica `ashyq restore --from-replica` reads
    "MANIFEST": str(ROOT / "output" / "opendata" / "documents.json"),
    "DECREES": str(ROOT / "content" / "decrees.toml"),
    "LOCALE_DIR": str(ROOT / "var" / "cache" / "locale"),
    "AUDIENCE": "http://127.0.0.1:8000",   # written into every sign-in challenge
    "CHALLENGE_TTL_SECONDS": 300,          # R13: a challenge is good for 5 minutes, once
    "SESSION_HOURS": 8,
    "EDS_CHECKER": "xmldsig",              # or "ncanode" (GOST keys through an NCANode server)
    "EDS_TRUSTED_CERTS": None,             # PEM bundle: NCA roots and intermediates
    "EDS_REVOCATION": "crl",               # crl | ocsp | off
    "EDS_CRLS": "",
    "EDS_ALLOWED_KINDS": "individual,legal",  # legal-entity keys: staff only (R8, R13)
    "NCANODE_URL": None,
    "DEMO_SIGNER": False,                  # development only: sign challenges without NCALayer
    "DEMO_PKI": str(ROOT / "var" / "demo-pki"),
    "REPORTS_DIR": str(ROOT / "var" / "reports"),   # frozen final reports (R17)
    "ADMINISTRATORS": str(ROOT / "content" / "administrators.toml"),
    "MAIL_OUTBOX": str(ROOT / "var" / "outbox"),     # .eml files when no MAIL_HOST is set
    "MAX_CONTENT_LENGTH": 64 * 1024,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    # Per address: sized for shared addresses (a mobile carrier's NAT or an office puts
    # thousands of people behind one); the per-person limits do the real work.
    "RATELIMIT_PER_ADDRESS": "6000 per minute",
    "RATELIMIT_SIGN_IN": "600 per minute",          # per address: challenges and signatures
    "RATELIMIT_VOTES": "60 per minute",             # per person, in the vote writer (R11)
    "RATELIMIT_PROPOSALS": "5 per minute; 30 per day",   # per person (R14)
    # How many reverse proxies stand in front (nginx alone: 1). Their X-Forwarded-For entry
    # names the client; anything a client sent itself in that header is ignored. 0: none.
    "TRUSTED_PROXIES": 0,
    "WTF_CSRF_TIME_LIMIT": None,           # the token lives as long as the session
    "WTF_CSRF_SSL_STRICT": False,          # same-origin is enforced by SameSite cookies
    "SESSION_COOKIE_NAME": "ashyq_session",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
}


class ConfigurationError(RuntimeError):
    "The configuration is unsafe or incomplete"


def check_production(config: dict) -> None:
    """A production configuration has real secrets, trusted CAs, its public HTTPS origin and
    no development shortcut; its cookies travel over TLS only."""
    problems = []
    if config["AUDIENCE"] == DEFAULTS["AUDIENCE"] or not str(config["AUDIENCE"]).startswith("https://"):
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
    config["PREFERRED_URL_SCHEME"] = "https"


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("ASHYQ")
    if test_config:
        app.config.update(test_config)
    if app.config["ENV"] == "production":
        check_production(app.config)
    compile_catalogs(Path(app.config["LOCALE_DIR"]))

    if app.config["TRUSTED_PROXIES"]:
        # The client's address for the limits (and the scheme) from the trusted proxies only.
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    db.init_app(app)
    errors.init_app(app)
    CSRFProtect(app)
    limiter.init_app(app)

    from submit_api import auth, ingest, office_api, proposals, schema, votes
    auth.init_app(app)
    for module in (auth, votes, proposals, office_api, ingest, schema):
        app.register_blueprint(module.bp)
    from submit_api.office import bp as office_bp
    app.register_blueprint(office_bp)  # the server-rendered back office at /office/

    @app.get("/api/health")
    def health():
        return {"ok": True}

    return app
