"""The whole journey in real Chromium: a citizen signs in through NCALayer (a WebSocket double
speaking its protocol), votes and proposes; the operator publishes in /office/; the state
body's employee answers; the rebuild step runs; the citizen sees proposal and answer on the
static page; the clock passes the discussion's end and the final report appears."""
from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from portal.web import portal_app, site_csp
from portal.worker import RebuildWorker
from generator.build import build
from tests.helpers import CHROMIUM
from tests.ncalayer_double import NcaLayerDouble
from tests.helpers import JAVA, check as check_html
from tests.helpers import ROLES

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
DOC = "BP-2026-225-001"
TEXT = "Предлагаю добавить в цель показатель охвата сельских школ."
ANSWER = "Принято: показатель будет добавлен в паспорт."


def assert_accessible(page, label: str) -> None:
    """axe-core: no serious or critical violation on this page (signed-in and report pages)."""
    from axe_playwright_python.sync_playwright import Axe
    bad = [v["id"] for v in Axe().run(page).response["violations"]
           if v["impact"] in ("serious", "critical")]
    assert not bad, (label, bad)


def new_page(page):
    other = page.context.browser.new_context().new_page()
    other.dialogs = []
    other.on("dialog", lambda d: (other.dialogs.append(d.message), d.dismiss()))
    return other


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_citizen_operator_employee_and_the_final_report(app_factory, pki, small_content,
                                                        tmp_path, page, monkeypatch, lang):
    from submit_api.identity import person_id
    from submit_api.staff import CLI_ACTOR, grant
    with NcaLayerDouble(pki, who="person1") as ncalayer:
        site, cache, reports = tmp_path / "site", tmp_path / "cache", tmp_path / "reports"
        settings = {"NCALAYER_URL": ncalayer.url}
        build(small_content, site, cache_dir=cache, today=dt.date(2025, 3, 5), settings=settings)
        app = app_factory(DEMO_SIGNER=True, DEMO_PKI=str(pki.dest),
                          MANIFEST=str(site / "opendata" / "documents.json"))
        from ashyq.i18n import translations
        _ = translations(app.config["LOCALE_DIR"], lang).gettext
        conn = sqlite3.connect(app.config["DATABASE"], isolation_level=None)
        for who, (role, code) in ROLES.items():
            grant(conn, CLI_ACTOR, person_id(pki.leaf(who).iin, app.config["IDENTITY_KEY"]), role, code)
        conn.close()
        worker = RebuildWorker(Path(app.config["DATABASE"]), small_content, site, cache,
                               settings=settings, debounce=0, reports_dir=reports, reports_every=0,
                               mail_config={"MAIL_OUTBOX": str(tmp_path / "outbox")})
        server = make_server("127.0.0.1", 0, portal_app(site, api_app=app,
                                                        csp=site_csp(ncalayer.url)), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            worker.tick()
            # The citizen: sign in with EDS, vote, propose (R11, R13, R14).
            page.goto(f"{base}/{lang}/discussions/{DOC}/")
            page.get_by_role("button", name=_("Sign in with EDS")).click()
            page.get_by_text(_("You are signed in as a person")).wait_for()
            page.locator("[data-participation]").get_by_role("button", name=_("For")).click()
            expect(page.locator("[data-total=for]")).to_have_text("1")
            page.locator("#proposal-purpose").fill(TEXT)
            page.locator("form[data-part=purpose]").get_by_role(
                "button", name=_("Send for moderation")).click()
            expect(page.locator("form[data-part=purpose] [data-result]")).to_contain_text("№ 1")

            # The operator publishes it in the office (R15).
            operator = new_page(page)
            operator.goto(f"{base}/office/?lang={lang}")
            operator.locator("[data-demo-person]").select_option("2")
            operator.locator("[data-action=demo-sign-in]").click()
            item = operator.locator("form[data-moderation]").first
            item.wait_for()
            assert_accessible(operator, "office moderation queue")
            item.locator("input[value=publish]").check()
            item.get_by_role("button", name=_("Save the decision")).click()
            operator.wait_for_load_state()
            assert TEXT not in operator.locator("main").inner_text()  # left the queue

            # The employee of administrator 225 answers (R16).
            employee = new_page(page)
            employee.goto(f"{base}/office/?lang={lang}")
            employee.locator("[data-demo-person]").select_option("3")
            employee.locator("[data-action=demo-sign-in]").click()
            form = employee.locator("form.decide").first
            form.wait_for()
            assert_accessible(employee, "office answer queue")
            form.locator("input[value=accept]").check()
            form.locator("textarea[name=text]").fill(ANSWER)
            form.get_by_role("button", name=_("Save the answer")).click()
            employee.wait_for_load_state()

            # The rebuild step; the citizen sees proposal and answer on the static page.
            time.sleep(0.05)
            assert worker.tick() == [DOC]
            page.goto(f"{base}/{lang}/discussions/{DOC}/")
            purpose = page.locator("#part-purpose")
            expect(purpose).to_contain_text(TEXT)
            expect(purpose).to_contain_text(ANSWER)
            expect(purpose).to_contain_text(_("Accepted by the state body"))

            # The clock passes the end of the discussion: the final report appears (R17).
            monkeypatch.setenv("ASHYQ_NOW", "2025-03-12T09:00:00+05:00")
            worker.tick()
            worker.tick()
            page.goto(f"{base}/{lang}/discussions/{DOC}/")
            page.get_by_role("link", name=_("Final report on the discussion")).click()
            expect(page.locator("main")).to_contain_text(TEXT)
            expect(page.locator("main")).to_contain_text(ANSWER)
            assert_accessible(page, "final report page")
            assert JAVA is None or not check_html([site / "ru/discussions" / DOC / "report/index.html",
                                   site / "kk/discussions" / DOC / "report/index.html"])
            for name in ("report.pdf", "report.xlsx", "report.csv", "report.json"):
                with urllib.request.urlopen(f"{base}/{lang}/discussions/{DOC}/report/{name}") as r:
                    assert r.status == 200 and r.read()
            assert page.dialogs == [] and operator.dialogs == [] and employee.dialogs == []
        finally:
            server.shutdown()
