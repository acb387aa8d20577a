"""Hostile input: a corpus of XSS payloads sent as proposals, answers and refusal reasons,
published, rebuilt and opened in real Chromium: nothing executes, nothing is injected."""
from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from portal.web import portal_app
from portal.worker import export_snapshot
from generator.build import build
from tests.helpers import CHROMIUM, ROLES
from tests.helpers import OPEN, csrf
from tests.helpers import answer, moderate

PAYLOADS = [line for line in (Path(__file__).parent / "data" / "xss.txt").read_text(
    encoding="utf-8").splitlines() if line.strip()]
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")


def test_corpus_is_large_enough():
    assert len(PAYLOADS) >= 30


@pytest.fixture
def hostile_portal(app_factory, pki, sign_in, small_content, tmp_path):
    from submit_api.identity import person_id
    from submit_api.staff import CLI_ACTOR, grant
    app = app_factory(RATELIMIT_PROPOSALS="10000 per minute", DEMO_SIGNER=True,
                      DEMO_PKI=str(pki.dest))
    conn = sqlite3.connect(app.config["DATABASE"], isolation_level=None)
    for who, (role, code) in ROLES.items():
        grant(conn, CLI_ACTOR, person_id(pki.leaf(who).iin, app.config["IDENTITY_KEY"]), role, code)
    conn.close()
    citizen, operator, employee = (app.test_client() for _ in range(3))
    sign_in(citizen, "person1")
    sign_in(operator, "person2")
    sign_in(employee, "person3")
    for i, payload in enumerate(PAYLOADS):
        response = citizen.post(f"/api/documents/{OPEN}/proposals",
                                json={"part": "purpose", "text": f"{i}: {payload}", "lang": "ru"},
                                headers={"X-CSRFToken": csrf(citizen)})
        assert response.status_code == 201, response.get_json()
        pid = response.get_json()["id"]
        if i % 3 == 2:
            moderate(operator, pid, "refuse", "spam", text=payload)  # a hostile justification
        else:
            moderate(operator, pid, "publish", "complies", text=payload)
            answer(employee, pid, "accept" if i % 2 else "reject", payload)  # a hostile answer
    database = Path(app.config["DATABASE"])
    site = tmp_path / "hostile-site"
    build(small_content, site, cache_dir=tmp_path / "cache", today=dt.date(2025, 3, 5),
          snapshot=export_snapshot(database, tmp_path / "snapshot.json"))
    server = make_server("127.0.0.1", 0, portal_app(site, api_app=app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


INJECTED = ("main img[src='x'], main svg[onload], main iframe, main object, main embed, "
            "main video, main audio, main marquee, main details[ontoggle], main input[onfocus], "
            "main form[action^='javascript'], main a[href^='javascript'], main script:not([src])")


def assert_inert(page, label: str) -> None:
    assert page.dialogs == [], label
    assert page.evaluate("typeof window.__xss") == "undefined", label
    assert page.locator(INJECTED).count() == 0, label


def test_xss_payloads_never_execute(hostile_portal, page):
    for lang in ("ru", "kk"):
        page.goto(f"{hostile_portal}/{lang}/discussions/{OPEN}/")
        text = page.locator("main").inner_text()
        assert "<script>window.__xss=1;alert(1)</script>" in text  # shown as text, not run
        assert_inert(page, f"document page {lang}")
    page.goto(f"{hostile_portal}/ru/me/")
    page.get_by_role("button", name="Демо-вход (тестовый сертификат, без NCALayer)").click()
    page.get_by_text("Вы вошли как физическое лицо").wait_for()
    page.locator("[data-my-list] li").first.wait_for()
    assert page.locator("[data-my-list] li").count() == len(PAYLOADS)
    assert_inert(page, "my proposals (refusal reasons and answers)")
    office = page.context.browser.new_context().new_page()  # staff sign in separately
    office.dialogs = []
    office.on("dialog", lambda d: (office.dialogs.append(d.message), d.dismiss()))
    office.goto(f"{hostile_portal}/office/?lang=ru")
    office.locator("[data-action=demo-sign-in]").click()  # person2: the operator
    office.get_by_role("link", name="Журнал аудита").first.wait_for()
    office.goto(f"{hostile_portal}/office/audit?lang=ru")
    assert "window.__xss" in office.locator("main").inner_text()  # the reasons, as text
    assert_inert(office, "office audit log")
    office.goto(f"{hostile_portal}/office/?lang=ru&answered=1")
    assert_inert(office, "office queue")
