"""Shared fixtures: small content trees written into temporary folders, real builds."""
from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CONTENT = ROOT / "content"
DEMO_TODAY = dt.date(2026, 12, 1)  # the date the demo (make run) is pinned to

ADMINISTRATORS = """\
[[administrator]]
code = "225"
level = "republican"
name.kk = "Оқу-ағарту министрлігі"
name.ru = "Министерство просвещения"
email = "budget225@edu.example"

[[administrator]]
code = "261"
level = "local"
name.kk = "Алматы қаласының білім басқармасы"
name.ru = "Управление образования города Алматы"
email = "budget261@almaty.example"
"""

PARTS = {
    "kk": [("purpose", "Мақсаты"), ("objectives", "Міндеттері"), ("expenses", "Шығыстар")],
    "ru": [("purpose", "Цель"), ("objectives", "Задачи"), ("expenses", "Расходы")],
}


def document_text(uid: str, lang: str, *, doc_type: str = "passport", posted: str = "2025-02-24",
                  admin: str = "225", extra: dict | None = None, parts=None,
                  drop: tuple[str, ...] = ()) -> str:
    """A passport or report file in one language with the given metadata."""
    title = {"kk": f"Бағдарлама {uid}", "ru": f"Программа {uid}"}[lang]
    meta = {"uid": uid, "type": doc_type, "title": title, "administrator": admin,
            "program": "001", "budget_type": "republican", "period": "2026-2028",
            "head": {"kk": "Бағдарлама басшысы Ахметов А.", "ru": "Руководитель программы Ахметов А."}[lang],
            "posted": posted}
    meta.update(extra or {})
    for key in drop:
        meta.pop(key, None)
    head = "".join(f"{k}: {v}\n" for k, v in meta.items())
    body = "Кіріспе мәтіні.\n\n" if lang == "kk" else "Вводный текст.\n\n"
    for pid, heading in parts or PARTS[lang]:
        suffix = f" {{#{pid}}}" if pid else ""
        body += f"## {heading}{suffix}\n\nМәтін / текст {pid} {lang}.\n\n"
    return head + "\n" + body


def write_document(content: Path, uid: str, folder: str = "discussions", **kwargs) -> Path:
    base = content / folder / uid
    base.mkdir(parents=True, exist_ok=True)
    for lang in ("kk", "ru"):
        (base / f"{uid}.{lang}.md").write_text(document_text(uid, lang, **kwargs), encoding="utf-8")
    return base


def write_simple(content: Path, folder: str, uid: str, doc_type: str, fields: dict) -> None:
    """A non-discussion item (press release, material...) in both languages."""
    (content / folder).mkdir(parents=True, exist_ok=True)
    for lang in ("kk", "ru"):
        head = f"uid: {uid}\ntype: {doc_type}\ntitle: {uid} {lang}\n"
        head += "".join(f"{k}: {v}\n" for k, v in fields.items())
        (content / folder / f"{uid}.{lang}.md").write_text(
            head + f"\nМәтін {lang}.\n\n## Бөлім\n\nТекст.\n", encoding="utf-8")


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

    from ashyq.worker import export_snapshot
    from generator.build import build
    from submit_api import create_app
    from submit_api.demo import pinned, seed_demo

    base = tmp_path_factory.mktemp("demo")
    out = base / "out"
    build(SAMPLE_CONTENT, out, cache_dir=base / "cache", today=DEMO_TODAY)
    config = {"TESTING": True, "DATABASE": str(base / "ashyq.sqlite3"),
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


@pytest.fixture
def no_pinned_clock(monkeypatch):
    monkeypatch.delenv("ASHYQ_NOW", raising=False)


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """The test PKI: root, intermediate, AUTH/SIGN/expired/revoked leaves, CRLs."""
    from submit_api.eds.testpki import make_test_pki
    return make_test_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def app_factory(tmp_path, small_content, build_site, pki):
    """Apps over a real SQLite file and the manifest of a real build of ``small_content``."""
    from submit_api import create_app

    site = build_site(small_content)

    def make(**overrides):
        config = {
            "TESTING": True,
            "DATABASE": str(tmp_path / "ashyq.sqlite3"),
            "MANIFEST": str(site / "opendata" / "documents.json"),
            "LOCALE_DIR": str(tmp_path / "cache" / "locale"),
            "DECREES": str(small_content / "decrees.toml"),
            "EDS_TRUSTED_CERTS": str(pki.trusted_bundle),
            "EDS_REVOCATION": "crl",
            "EDS_CRLS": [str(p) for p in pki.crls],
            "DEMO_PKI": str(tmp_path / "demo-pki"),
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


def copy_tree(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


# person1: citizen; person2: operator; person3: employee of 225; person4: employee of 261;
# person5: lead of 225 (OPEN belongs to administrator 225).
ROLES = {"person2": ("operator", None), "person3": ("employee", "225"),
         "person4": ("employee", "261"), "person5": ("lead", "225")}


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


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


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
