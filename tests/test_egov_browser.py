"""eGov mobile sign-in in real Chromium (R13): on a phone viewport the page offers eGov mobile
first and no NCALayer; the test follows the deep link with the app double (real HTTP, the
QR-signing protocol), the page signs in by itself and the person votes. On a computer the
page shows NCALayer and a QR code for eGov mobile."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from generator.build import build
from portal.web import portal_app, site_csp
from tests.egov_double import EgovMobileApp
from tests.helpers import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
DOC = "BP-2026-225-001"
PHONE_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0 Mobile Safari/537.36")


@pytest.fixture
def portal(app_factory, small_content, tmp_path):
    site = tmp_path / "site"
    build(small_content, site, cache_dir=tmp_path / "cache", today=dt.date(2025, 3, 5))
    server = make_server("127.0.0.1", 0, None, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app = app_factory(EGOV_PUBLIC_URL=base, MANIFEST=str(site / "opendata" / "documents.json"))
    server.app = portal_app(site, api_app=app, csp=site_csp())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield app, base
    server.shutdown()


def assert_accessible(page) -> None:
    from axe_playwright_python.sync_playwright import Axe
    bad = [v["id"] for v in Axe().run(page).response["violations"]
           if v["impact"] in ("serious", "critical")]
    assert not bad, bad


def browser_context(p, **kwargs):
    browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    context = browser.new_context(**kwargs)
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: m.type == "error" and not m.location.get("url", "").endswith(
        "/favicon.ico") and page.problems.append(m.text))  # the test site has no icon
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    return browser, page


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_phone_signs_in_with_egov_mobile_and_votes(portal, pki, lang):
    app, base = portal
    from ashyq.i18n import translations
    _ = translations(app.config["LOCALE_DIR"], lang).gettext
    with sync_playwright() as p:
        browser, page = browser_context(p, viewport={"width": 360, "height": 740},
                                        is_mobile=True, has_touch=True, user_agent=PHONE_UA,
                                        locale="ru-RU" if lang == "ru" else "kk-KZ")
        try:
            page.goto(f"{base}/{lang}/discussions/{DOC}/")
            part = page.locator("[data-participation]")
            egov = part.get_by_role("button", name=_("Sign in with eGov mobile"))
            expect(egov).to_be_visible()
            # eGov mobile first; NCALayer is neither offered nor explained on a phone.
            expect(part.get_by_role("button", name=_("Sign in with EDS"))).to_be_hidden()
            assert "NCALayer" not in part.inner_text()
            first = part.locator("button:visible").first
            expect(first).to_have_text(_("Sign in with eGov mobile"))
            egov.tap()
            assert_accessible(page)  # the eGov step on a phone (axe-core)
            open_app = part.get_by_role("link", name=_("Open eGov mobile"))
            expect(open_app).to_be_visible()
            expect(part.get_by_role("link", name=_("Open eGov Business (organisations)"))).to_be_visible()
            link = open_app.get_attribute("href")
            assert link.startswith("https://mgovsign.page.link/?link=")
            # The person taps the link: eGov mobile opens, fetches and signs (the double).
            status, body = EgovMobileApp(pki, who="person1").sign(link)
            assert status == 200, body
            expect(part.get_by_text(_("You are signed in as a person"))).to_be_visible(timeout=15000)
            part.get_by_role("button", name=_("For")).tap()
            expect(part.locator("[data-total=for]")).to_have_text("1")
            expect(part.get_by_text(_("Your vote is saved. You can change it until the discussion ends."))).to_be_visible()
            assert_accessible(page)  # signed in, with the follow form (axe-core)
            # Follow the discussion by e-mail (the round trip is in tests/test_follow.py).
            follow = page.locator("[data-follow]")
            follow.get_by_label(_("Your e-mail address")).fill("phone.user@example.kz")
            follow.get_by_role("button", name=_("Follow by e-mail")).tap()
            expect(follow.locator("[data-follow-status]")).to_have_text(
                _("We have sent a letter with a confirmation link to this address. Nothing else is sent until you open it."))
            assert page.problems == [], page.problems
        finally:
            browser.close()


def test_phone_sees_a_refusal_in_its_language(portal, pki):
    app, base = portal
    from ashyq.i18n import translations
    _ = translations(app.config["LOCALE_DIR"], "kk").gettext
    with sync_playwright() as p:
        browser, page = browser_context(p, viewport={"width": 360, "height": 740},
                                        is_mobile=True, has_touch=True, user_agent=PHONE_UA)
        try:
            page.goto(f"{base}/kk/discussions/{DOC}/")
            part = page.locator("[data-participation]")
            part.get_by_role("button", name=_("Sign in with eGov mobile")).tap()
            link = part.get_by_role("link", name=_("Open eGov mobile")).get_attribute("href")
            status, _body = EgovMobileApp(pki).sign(link, who="sign")  # a signing, not AUTH, key
            assert status == 400
            expect(part.locator("[data-egov-status]")).to_have_text(
                _("This is not an authentication key: choose the key whose name starts with AUTH (not RSA or GOST signing keys)."),
                timeout=15000)
            expect(part.get_by_role("button", name=_("Sign in with eGov mobile"))).to_be_enabled()
        finally:
            browser.close()


def test_computer_shows_ncalayer_and_a_qr_code(portal, pki):
    app, base = portal
    from ashyq.i18n import translations
    _ = translations(app.config["LOCALE_DIR"], "ru").gettext
    with sync_playwright() as p:
        browser, page = browser_context(p, viewport={"width": 1366, "height": 900})
        try:
            page.goto(f"{base}/ru/discussions/{DOC}/")
            part = page.locator("[data-participation]")
            nca = part.get_by_role("button", name=_("Sign in with EDS"))
            expect(nca).to_be_visible()
            assert "NCALayer" in part.inner_text()
            egov = part.get_by_role("button", name=_("Sign in with eGov mobile"))
            assert nca.bounding_box()["y"] < egov.bounding_box()["y"]  # NCALayer first here
            with page.expect_response("**/api/auth/egov/start") as started:
                part.get_by_role("button", name=_("Sign in with eGov mobile")).click()
            qr_text = started.value.json()["qr_text"]
            image = part.get_by_role("img", name=_("QR code for signing in with eGov mobile"))
            expect(image).to_be_visible()
            assert page.evaluate("document.querySelector('[data-egov-qr-img]').naturalWidth") > 100
            expect(part.get_by_role("link", name=_("Open eGov mobile"))).to_be_hidden()
            # The phone scans the code: the double reads the same text the QR code holds.
            assert EgovMobileApp(pki, who="person2").sign(qr_text)[0] == 200
            expect(part.get_by_text(_("You are signed in as a person"))).to_be_visible(timeout=15000)
            assert page.problems == [], page.problems
        finally:
            browser.close()
