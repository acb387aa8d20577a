"""Every setting of the portal, in one place: its default, its meaning, and how it is read.

Settings come from ``ASHYQ_*`` environment variables (``ASHYQ_DATABASE=/srv/ashyq.sqlite3``);
a value that parses as JSON is taken as JSON (numbers, ``true``/``false``, objects), anything
else as text - the same rule as Flask's ``from_prefixed_env``. :func:`load` builds the one
settings mapping that the ``ashyq`` command, the rebuild worker and ``create_app`` all use;
``docs/settings.md`` documents each entry (a test fails when one is missing there).

Paths default to folders of the checkout (``content/``, ``output/``, ``var/``); settings that
only name a place inside another (the manifest inside the output, the decrees inside the
content) follow it unless set themselves.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

log = logging.getLogger(__name__)

PREFIX = "ASHYQ_"
ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"


@dataclass(frozen=True)
class Setting:
    default: Any
    doc: str


def _s(default: Any, doc: str) -> Setting:
    return Setting(default, doc)


#: name (without ``ASHYQ_``) -> default and meaning. Order: places, identity and sign-in, mail,
#: limits, web-server details.
SETTINGS: dict[str, Setting] = {
    # -- where things are ------------------------------------------------------------------
    "ENV": _s("development", "`production` refuses development shortcuts (demo signer, "
              "development secrets) and sets TLS-only cookies."),
    "CONTENT": _s(str(ROOT / "content"), "The content folder editors commit (Markdown, "
                  "administrators.toml, decrees.toml, budget data)."),
    "OUTPUT": _s(str(ROOT / "output"), "The built site: a symbolic link swapped atomically "
                 "to each new build directory."),
    "SITE_URL": _s(None, "Absolute address of the public site (feeds, sitemap, e-mail "
                   "links); default `http://127.0.0.1:8000`."),
    "DATABASE": _s(str(VAR / "ashyq.sqlite3"), "The SQLite database of the service (private "
                   "data: identity hashes, sessions, votes, proposals, audit log)."),
    "CACHE_DIR": _s(str(VAR / "cache"), "Build caches (rendered Markdown by content hash, "
                    "what reading the content found, compiled catalogs), the public snapshot "
                    "handed to builds, and `ashyq preview`'s site."),
    "REPORTS_DIR": _s(str(VAR / "reports"), "Frozen final reports (R17) and their versions."),
    "MANIFEST": _s(None, "The build's manifest the API trusts; default "
                   "`OUTPUT/opendata/documents.json`."),
    "DECREES": _s(None, "Local working-day overrides; default `CONTENT/decrees.toml`."),
    "LOCALE_DIR": _s(str(VAR / "cache" / "locale"), "Compiled message catalogs (kk, ru)."),
    "MAIL_OUTBOX": _s(str(VAR / "outbox"), "Where e-mail goes as `.eml` files when no "
                      "`MAIL_HOST` is set."),
    "INGEST_ARCHIVE": _s(str(VAR / "ingest-archive"), "Received budget-reporting files, kept "
                         "byte for byte (provenance, R8)."),
    "INGEST_REBUILD_FLAG": _s(str(VAR / "rebuild-needed"), "File an ingest writes to ask the "
                              "rebuild worker for a build."),
    # -- sign-in and identity (R13) --------------------------------------------------------
    "SECRET_KEY": _s("development-only-secret", "Signs session cookies and CSRF tokens; "
                     "required in production."),
    "IDENTITY_KEY": _s("development-only-identity-key", "Keys the IIN/BIN hash (R13); the "
                       "IIN is never stored. Required in production; never change it."),
    "AUDIENCE": _s("http://127.0.0.1:8000", "The public origin written into every sign-in "
                   "challenge; required in production."),
    "CHALLENGE_TTL_SECONDS": _s(300, "A sign-in challenge is good for this long, once (R13)."),
    "SESSION_HOURS": _s(8, "How long a sign-in lasts."),
    "EDS_CHECKER": _s("xmldsig", "`xmldsig` (RSA keys, checked here) or `ncanode` (GOST "
                      "keys through an NCANode server; docs/eds.md)."),
    "EDS_TRUSTED_CERTS": _s(None, "PEM bundle of trusted CAs (NCA RK roots and "
                            "intermediates); required in production."),
    "EDS_REVOCATION": _s("crl", "Revocation check: `crl`, `ocsp` or `off`."),
    "EDS_CRLS": _s("", "CRL files or URLs, separated by spaces or commas."),
    "EDS_ALLOWED_KINDS": _s("individual,legal", "Which signers may sign in: natural persons "
                            "(IIN) and legal persons (BIN)."),
    "NCANODE_URL": _s(None, "NCANode's address, with `EDS_CHECKER=ncanode`."),
    "NCANODE_TIMEOUT": _s(15, "Seconds to wait for NCANode."),
    "NCALAYER_URL": _s("wss://127.0.0.1:13579/", "Where the page script finds NCALayer."),
    "OPERATOR_EMAIL": _s("support@ashyq.example", "The operator's address on the footer pages "
                         "(accessibility, privacy, contacts)."),
    "DEMO_SIGNER": _s(False, "Development only: a marked demo sign-in signs challenges with a "
                      "test certificate. Refused in production."),
    "DEMO_PKI": _s(str(VAR / "demo-pki"), "Where the demo signer's test PKI is generated."),
    # -- the portal's own signature (final reports R17, proposal receipts R14) ------------------
    "REPORT_SIGNING_KEY": _s(None, "The portal's organisation key that signs the final "
                             "reports (PAdES) and the proposal receipts: a PEM key, or a "
                             "PKCS#12 file (`.p12`/`.pfx`) with its certificate. Without it "
                             "the demo makes its own (marked DEMO); required in production."),
    "REPORT_SIGNING_CERT": _s(None, "The PEM certificate of `REPORT_SIGNING_KEY` (its chain "
                              "may follow the leaf in the same file)."),
    "REPORT_SIGNING_PASSWORD": _s(None, "Password of the signing key, if it has one."),
    "REPORT_SIGNING_DEMO_DIR": _s(None, "Where the demo's own signing key is made; default "
                                  "`portal-demo-key/` beside `REPORTS_DIR`."),
    "PORTAL_CERTIFICATE": _s(None, "The PEM certificate (and chain) the build publishes as "
                             "`/opendata/portal-certificate.pem`, to check reports and "
                             "receipts against; default `REPORT_SIGNING_CERT`, else the "
                             "demo's."),
    # -- eGov mobile sign-in (R13; egov branch, submit_api/egov) ----------------------------
    "EGOV_MODE": _s("direct", "`direct`: this portal is the eGov mobile signing endpoint "
                    "(QR / deep links to /api/auth/egov/...); `broker`: a SIGEX-like broker "
                    "at `EGOV_BROKER_URL` holds the operation."),
    "EGOV_BROKER_URL": _s(None, "The broker's base address (`POST /api/egovQr`), with "
                          "`EGOV_MODE=broker`."),
    "EGOV_BROKER_TIMEOUT": _s(30, "Seconds each long-poll request to the broker may wait."),
    "EGOV_PUBLIC_URL": _s(None, "This portal's address as the phone reaches it (in the QR "
                          "code); default: `AUDIENCE` in production, the browser's address "
                          "in development."),
    "EGOV_ORGANISATION": _s({"nameKz": "Ашық бюджеттер", "nameRu": "Открытые бюджеты",
                             "nameEn": "Open Budgets", "bin": ""},
                            "Who asks for the signature, as the app shows it (JSON)."),
    # -- mail (final reports, R17) ---------------------------------------------------------
    "MAIL_HOST": _s(None, "SMTP server; without it mail goes to `MAIL_OUTBOX`."),
    "MAIL_PORT": _s(None, "SMTP port (25, or 465 with `MAIL_SSL`)."),
    "MAIL_USER": _s(None, "SMTP user name."),
    "MAIL_PASSWORD": _s(None, "SMTP password."),
    "MAIL_FROM": _s(None, "Sender address of the portal's mail."),
    "MAIL_STARTTLS": _s(False, "Upgrade the SMTP connection with STARTTLS."),
    "MAIL_SSL": _s(False, "SMTP over TLS from the start (port 465)."),
    "MAIL_TIMEOUT": _s(30, "Seconds to wait for the SMTP server."),
    "MAIL_OPERATORS": _s(None, "The operators' addresses (comma-separated) for the daily "
                         "digest of new and overdue proposals (R15); state bodies get theirs "
                         "at the address in administrators.toml (R16)."),
    # -- machine interface (R8) ------------------------------------------------------------
    "INGEST_TOKENS": _s({}, "Bearer tokens of the systems allowed to send budget reporting, "
                        "as JSON `{\"system\": \"token\"}`."),
    "INGEST_MAX_BYTES": _s(20 * 1024 * 1024, "Largest budget-reporting file accepted."),
    # -- database --------------------------------------------------------------------------
    "SQLITE_SYNCHRONOUS": _s("FULL", "`FULL`: an acknowledged write survives a power cut; "
                             "`NORMAL`: a process crash only."),
    "LITESTREAM_CONFIG": _s("/etc/litestream.yml", "Litestream's configuration (the database "
                            "and its replica) that `ashyq restore --from-replica` reads."),
    # -- limits ----------------------------------------------------------------------------
    "MAX_CONTENT_LENGTH": _s(64 * 1024, "Largest request body the API reads."),
    "RATELIMIT_STORAGE_URI": _s("memory://", "Flask-Limiter storage."),
    "RATELIMIT_HEADERS_ENABLED": _s(True, "Send rate-limit headers (`Retry-After`)."),
    # Per address: sized for shared addresses (a mobile carrier's NAT or an office puts
    # thousands of people behind one); the per-person limits do the real work.
    "RATELIMIT_PER_ADDRESS": _s("6000 per minute", "Requests per client address (shared "
                                "addresses: carrier NAT, offices). Votes are not counted here."),
    "RATELIMIT_VOTES": _s("60 per minute", "Votes per signed-in person, counted in the vote's "
                          "own transaction (submit_api/vote_writer.py)."),
    "VOTE_LANE": _s(True, "Signed-in votes on open discussions are answered before Flask's "
                    "request machinery (submit_api/vote_lane.py); false: every vote goes "
                    "through Flask."),
    "RATELIMIT_PROPOSALS": _s("5 per minute; 30 per day", "Proposals per signed-in person."),
    "RATELIMIT_SIGN_IN": _s("600 per minute", "Sign-in challenges and signatures per client "
                            "address (sized for shared addresses)."),
    "TRUSTED_PROXIES": _s(0, "How many reverse proxies stand in front (nginx alone: 1): the "
                          "client's address is the one they add to X-Forwarded-For; anything "
                          "a client sent in that header itself is ignored. 0: no proxy."),
    "RATELIMIT_EGOV_APP": _s("30 per minute", "eGov mobile's requests (API No.1/No.2) per "
                             "client address."),
    "RATELIMIT_EGOV_POLL": _s("120 per minute", "A browser's polling for its eGov mobile "
                              "signature, per client address."),
    "RATELIMIT_FOLLOW": _s("10 per hour", "E-mail follow requests per signed-in person."),
    "RATELIMIT_FOLLOW_LINKS": _s("30 per minute", "Confirm / unsubscribe links opened, per "
                                 "client address."),
    # -- Flask details ---------------------------------------------------------------------
    "WTF_CSRF_TIME_LIMIT": _s(None, "CSRF token lifetime (none: as long as the session)."),
    "WTF_CSRF_SSL_STRICT": _s(False, "Referrer check of Flask-WTF (same-origin is enforced "
                              "by SameSite cookies)."),
    "SESSION_COOKIE_NAME": _s("ashyq_session", "Name of the session cookie."),
    "SESSION_COOKIE_HTTPONLY": _s(True, "The session cookie is hidden from scripts."),
    "SESSION_COOKIE_SAMESITE": _s("Lax", "SameSite attribute of the session cookie."),
    "SESSION_COOKIE_SECURE": _s(False, "TLS-only session cookie (forced on in production)."),
}

#: Read directly from the environment by the module named, not through :func:`load`.
ENVIRONMENT_ONLY: dict[str, str] = {
    "NOW": "Pins \"now\" (ISO date-time, Asia/Almaty) for discussion windows and deadlines "
           "(ashyq.clock); the demo and the tests use it.",
    "SEARCH_AFTER_SWAP": "Seconds of a site's first search index left for after the swap "
                         "(generator.search_parts; default 40; 0: all before): once the parts "
                         "of a first index not begun would take no longer, they are made in the "
                         "background, at most a minute behind.",
    "SEARCH_PART_PAGES": "Pages per part of the search index (generator.search_parts; default 3000): "
                         "each part is one Pagefind run, whose memory grows with its pages.",
    "SEARCH_RUNS": "Pagefind runs at a time while the search index is made (generator.search_parts; "
                   "default 2, at most the cores): each holds up to ~400 MB (3,000 passport pages) "
                   "in memory; 1 halves that and takes 1.45 times as long.",
}


def parse_value(text: str) -> Any:
    """An environment value: JSON when it parses as JSON, else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def defaults() -> dict[str, Any]:
    return {name: setting.default for name, setting in SETTINGS.items()}


def load(overrides: Mapping[str, Any] | None = None,
         environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Defaults, then ``ASHYQ_*`` variables, then ``overrides`` (tests, command options).

    Unknown ``ASHYQ_*`` names are kept (a plugin may read them) and logged, since a typo there
    otherwise passes silently."""
    env = os.environ if environ is None else environ
    values = defaults()
    for key, text in env.items():
        if not key.startswith(PREFIX):
            continue
        name = key[len(PREFIX):]
        if name in ENVIRONMENT_ONLY:
            continue
        if name not in SETTINGS:
            log.warning("unknown setting %s (see docs/settings.md)", key)
        values[name] = parse_value(text)
    values.update({k: v for k, v in (overrides or {}).items()})
    return resolve_places(values)


def resolve_places(values: dict[str, Any]) -> dict[str, Any]:
    """Fill the places that follow another one (manifest in the output, decrees in the content)."""
    if not values.get("MANIFEST"):
        values["MANIFEST"] = str(Path(values["OUTPUT"]) / "opendata" / "documents.json")
    if not values.get("DECREES"):
        values["DECREES"] = str(Path(values["CONTENT"]) / "decrees.toml")
    if not values.get("REPORT_SIGNING_DEMO_DIR"):
        values["REPORT_SIGNING_DEMO_DIR"] = str(Path(values["REPORTS_DIR"]).parent
                                                / "portal-demo-key")
    if not values.get("PORTAL_CERTIFICATE"):
        values["PORTAL_CERTIFICATE"] = str(
            values.get("REPORT_SIGNING_CERT")
            or Path(values["REPORT_SIGNING_DEMO_DIR"]) / "portal-cert.pem")
    return values
