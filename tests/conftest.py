"""Shared fixtures: small content trees written into temporary folders, real builds."""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.helpers import ADMINISTRATORS, CHROMIUM, CHROMIUM_ARGS, DEMO_TODAY, ROLES, SAMPLE_CONTENT, served, write_document, write_simple











@pytest.fixture
def small_content(tmp_path: Path) -> Path:
    """Two passports (one open, one closed on 2025-03-05), a report, a committed release."""
    content = tmp_path / "content"
    content.mkdir()
    (content / "administrators.toml").write_text(ADMINISTRATORS, encoding="utf-8")
    write_document(content, "BP-2026-225-001", posted="2025-02-24")
    write_document(content, "BP-2026-261-002", posted="2025-01-03", admin="261",
                   extra={"budget_type": "local"})
    write_document(content, "IR-2024-225-001", doc_type="implementation_report",
                   posted="2025-03-14", extra={"period": "2024"})
    write_simple(content, "press", "PR-2025-001", "press_release",
                 {"date": "2025-02-24", "document": "BP-2026-225-001", "administrator": "225"})
    write_simple(content, "citizens-budget", "CB-2026", "citizens_budget",
                 {"posted": "2025-01-15", "period": "2026", "stage": "planning"})
    return content


@pytest.fixture
def build_site(tmp_path: Path):
    """Build a content tree into ``tmp_path/out`` on a given day; returns the output path."""
    from generator.build import build

    def run(content: Path, today: dt.date = dt.date(2025, 3, 5), out: Path | None = None):
        out = out or tmp_path / "out"
        build(content, out, cache_dir=tmp_path / "cache", today=today,
              site_url="https://budget.example")
        return out
    return run


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory) -> Path:
    """The repository's sample content built once, on the demo's pinned day."""
    from generator.build import build

    base = tmp_path_factory.mktemp("sample")
    out = base / "out"
    build(SAMPLE_CONTENT, out, cache_dir=base / "cache", today=DEMO_TODAY)
    return out


@dataclass
class DemoSite:
    """The sample content with the demo history (``ashyq seed-demo``): its database, reports,
    and the site built from them, on the demo's day."""

    out: Path
    config: dict


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory) -> DemoSite:
    import json

    from portal.worker import export_snapshot
    from generator.build import build
    from submit_api import create_app
    from submit_api.demo import pinned, seed_demo

    base = tmp_path_factory.mktemp("demo")
    out = base / "out"
    build(SAMPLE_CONTENT, out, cache_dir=base / "cache", today=DEMO_TODAY)
    config = {"TESTING": True, "DATABASE": str(base / "ashyq.sqlite3"), "OUTPUT": str(out),
              "MANIFEST": str(out / "opendata" / "documents.json"),
              "LOCALE_DIR": str(base / "cache" / "locale"), "DEMO_SIGNER": True,
              "DEMO_PKI": str(base / "demo-pki"), "REPORTS_DIR": str(base / "reports"),
              "DECREES": str(SAMPLE_CONTENT / "decrees.toml")}
    app = create_app(config)
    documents = json.loads((out / "opendata" / "documents.json").read_text("utf-8"))["documents"]
    with pinned(dt.datetime(2026, 12, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=5)))):
        assert seed_demo(app, documents, DEMO_TODAY) == 15
        assert seed_demo(app, documents, DEMO_TODAY) == 0  # idempotent
    snapshot = export_snapshot(Path(config["DATABASE"]), base / "snapshot.json")
    build(SAMPLE_CONTENT, out, cache_dir=base / "cache", today=DEMO_TODAY, snapshot=snapshot,
          settings={"ASHYQ_REPORTS": config["REPORTS_DIR"]})
    return DemoSite(out, config)


@pytest.fixture(scope="module")
def served_demo(demo_site):
    """The demo site with its service (demo signer on), over real HTTP."""


    from portal.web import portal_app
    with served(portal_app(demo_site.out, dict(demo_site.config))) as url:
        yield url


@pytest.fixture
def no_pinned_clock(monkeypatch):
    monkeypatch.delenv("ASHYQ_NOW", raising=False)


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """The test PKI: root, intermediate, AUTH/SIGN/expired/revoked leaves, CRLs."""
    from submit_api.eds.testpki import make_test_pki
    return make_test_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def portal_demo_dir(tmp_path_factory):
    """One demo signing key of the portal for the session (reports, receipts; issue 15)."""
    return tmp_path_factory.mktemp("portal-demo-key")


@pytest.fixture
def app_factory(tmp_path, small_content, build_site, pki, portal_demo_dir):
    """Apps over a real SQLite file and the manifest of a real build of ``small_content``."""
    from submit_api import create_app

    site = build_site(small_content)

    def make(**overrides):
        config = {
            "TESTING": True,
            "DATABASE": str(tmp_path / "ashyq.sqlite3"),
            # its own site, not the checkout's output/ (a `make run` build with an older
            # theme: the office would link stylesheets by names that site does not have)
            "OUTPUT": str(site),
            "MANIFEST": str(site / "opendata" / "documents.json"),
            "LOCALE_DIR": str(tmp_path / "cache" / "locale"),
            "DECREES": str(small_content / "decrees.toml"),
            "EDS_TRUSTED_CERTS": str(pki.trusted_bundle),
            "EDS_REVOCATION": "crl",
            "EDS_CRLS": [str(p) for p in pki.crls],
            "DEMO_PKI": str(tmp_path / "demo-pki"),
            "REPORT_SIGNING_DEMO_DIR": str(portal_demo_dir),
        }
        config.update(overrides)
        return create_app(config)
    return make


@pytest.fixture
def app(app_factory):
    return app_factory()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def sign_in(pki):
    """Sign a test client in with a real signature over the server's challenge."""
    def run(client, who: str = "auth") -> dict:
        token = client.get("/api/csrf").get_json()["csrf_token"]
        challenge = client.get("/api/auth/challenge").get_json()["challenge"]
        signed = pki.sign_xml(challenge.encode("utf-8"), who=who).decode("utf-8")
        response = client.post("/api/auth/eds", json={"signed_xml": signed},
                               headers={"X-CSRFToken": token})
        assert response.status_code == 200, response.get_json()
        return response.get_json()
    return run






@pytest.fixture
def office(app, pki, sign_in):
    """Signed-in test clients by person, with the staff ROLES granted."""
    import sqlite3

    from submit_api.identity import person_id
    from submit_api.staff import CLI_ACTOR, grant

    conn = sqlite3.connect(app.config["DATABASE"], isolation_level=None)
    for who, (role, code) in ROLES.items():
        grant(conn, CLI_ACTOR, person_id(pki.leaf(who).iin, app.config["IDENTITY_KEY"]), role, code)
    conn.close()

    def client_for(who: str):
        client = app.test_client()
        sign_in(client, who=who)
        return client
    return client_for




@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.dialogs = dialogs
        yield page
        browser.close()


os.environ.setdefault("ASHYQ_NOW", "2025-03-05T10:00:00+05:00")


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that records what it accepts."""
    from aiosmtpd.controller import Controller

    from tests.helpers import Recorder, free_port
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.config = {"MAIL_HOST": "127.0.0.1", "MAIL_PORT": controller.port,
                      "MAIL_FROM": "Ashyq <reports@budget.example>", "MAIL_TIMEOUT": 5}
    yield handler
    controller.stop()

