"""The citizen's journey in real Chromium (Debian's package, driven by Playwright): the page's
own script signs in through an NCALayer double speaking NCALayer's protocol, votes, proposes."""
from __future__ import annotations

import datetime as dt
import json
import unicodedata
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from portal.web import portal_app, site_csp
from submit_api.receipts import certificates as receipt_certificates
from submit_api.receipts import verify_receipt
from tests.helpers import CHROMIUM, served
from tests.ncalayer_double import NcaLayerDouble

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed "
                                "(.ci/run installs it)")
DOC = "BP-2026-225-001"


@pytest.fixture
def ncalayer(pki):
    with NcaLayerDouble(pki, who="person1") as double:
        yield double


@pytest.fixture
def portal_settings(app_factory, ncalayer):
    """The settings the portal's API runs with (its signing key: receipts, issue 15)."""
    return {}


@pytest.fixture
def portal(small_content, build_site, app_factory, ncalayer, tmp_path, portal_settings):
    """The whole portal (static site + API) on a loopback port, built for the double."""
    from generator.build import build
    site = tmp_path / "browser-site"
    build(small_content, site, cache_dir=tmp_path / "cache", today=dt.date(2025, 3, 5),
          settings={"NCALAYER_URL": ncalayer.url})
    api = app_factory(DEMO_SIGNER=True, DEMO_PKI=str(ncalayer.pki.dest),
                      MANIFEST=str(site / "opendata" / "documents.json"))
    portal_settings.update(api.config)
    with served(portal_app(site, api_app=api, csp=site_csp(ncalayer.url))) as url:
        yield url


def test_citizen_signs_in_with_ncalayer_votes_and_proposes(portal, page, ncalayer,
                                                          portal_settings):
    page.goto(f"{portal}/ru/discussions/{DOC}/")
    panel = page.locator("[data-participation]")
    panel.get_by_role("button", name="Войти с ЭЦП").click()
    page.get_by_text("Вы вошли как физическое лицо").wait_for()
    request = ncalayer.requests[0]
    assert request["module"] == "kz.gov.pki.knca.basics" and request["args"]["format"] == "xml"
    # ¶2(1): any AUTH key, of an individual or of a legal person's organisation
    assert request["args"]["signerParams"]["extKeyUsageOids"] == ["1.3.6.1.5.5.7.3.2"]

    panel.get_by_role("button", name="За").click()
    page.get_by_text("Ваш голос сохранен").wait_for()
    expect(page.locator("[data-total=for]")).to_have_text("1")
    assert panel.get_by_role("button", name="За").get_attribute("aria-pressed") == "true"

    area = page.locator("#proposal-purpose")
    counter = page.locator("#counter-purpose")
    area.fill("а" * 999)
    area.press("End")
    page.keyboard.type("бв")  # R14: one more than the limit is typed, counted and marked
    expect(counter).to_have_text("1001 из 1000 знаков")
    assert "bad" in counter.get_attribute("class")
    # R14: graphemes, not UTF-16 units: a family emoji (8 units) and е + combining acute
    # (2 code points) are one character each; 1008 units, 1000 characters, accepted
    sent = "а" * 998 + "\U0001F468\u200d\U0001F469\u200d\U0001F467" + "е\u0301"
    area.fill(sent)
    expect(counter).to_have_text("1000 из 1000 знаков")
    assert page.evaluate("document.querySelector('#proposal-purpose').value.length") == 1008
    page.locator("form[data-part=purpose]").get_by_role("button", name="Отправить на модерацию").click()
    page.get_by_text("Предложение № 1 отправлено").wait_for()
    assert area.input_value() == ""
    # issue 15: a receipt signed by the portal, downloaded with the text; it verifies
    with page.expect_download() as download:
        page.locator("form[data-part=purpose] [data-result] a.receipt").click()
    kept = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert kept["text"] == unicodedata.normalize("NFC", sent) and kept["proposal"] == 1
    claims = verify_receipt(kept["receipt"], kept["text"], receipt_certificates(portal_settings))
    assert claims["document"] == DOC and claims["part"] == "purpose"

    page.goto(f"{portal}/ru/me/")
    page.get_by_text("Ожидает модерации").wait_for()
    assert "а" * 50 in page.locator("[data-my-list]").inner_text()
    expect(page.locator("[data-my-list] a.receipt")).to_have_count(1)
    assert page.dialogs == []


def test_p2_legal_person_signs_in_with_the_organisations_key(small_content, build_site,
                                                           app_factory, pki, page, tmp_path):
    """¶2(1), R13: with a legal entity's AUTH key the page says one takes part as an
    organisation, and the vote counts once for it."""
    from generator.build import build
    with NcaLayerDouble(pki, who="legal") as double:
        site = tmp_path / "legal-site"
        build(small_content, site, cache_dir=tmp_path / "cache", today=dt.date(2025, 3, 5),
              settings={"NCALAYER_URL": double.url})
        api = app_factory(MANIFEST=str(site / "opendata" / "documents.json"))
        server = make_server("127.0.0.1", 0, portal_app(site, api_app=api, csp=site_csp(double.url)),
                             threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            page.goto(f"http://127.0.0.1:{server.server_port}/kk/discussions/{DOC}/")
            page.get_by_role("button", name="ЭЦҚ арқылы кіру").click()
            page.get_by_text("Сіз ұйым (заңды тұлға) ретінде кірдіңіз: ТОО ТЕСТ.").wait_for()
            page.get_by_role("button", name="Жақтап").click()
            expect(page.locator("[data-total=for]")).to_have_text("1")
            page.reload()
            page.get_by_text("Сіз ұйым (заңды тұлға) ретінде кірдіңіз.").wait_for()
        finally:
            server.shutdown()
            thread.join(timeout=5)


def test_clear_message_when_ncalayer_is_not_running(portal, page):
    page.goto(f"{portal}/kk/discussions/{DOC}/")
    page.evaluate("document.querySelector('[data-participation]')"
                  ".setAttribute('data-ncalayer', 'ws://127.0.0.1:9/')")
    page.get_by_role("button", name="ЭЦҚ арқылы кіру").click()
    page.get_by_text("Бұл компьютерде NCALayer іске қосылмаған").wait_for()


def test_demo_sign_in_is_marked_and_works_in_kazakh(portal, page):
    page.goto(f"{portal}/kk/discussions/{DOC}/")
    demo = page.get_by_role("button", name="Демо-кіру (тест куәлігі, NCALayer-сіз)")
    demo.click()
    page.get_by_text("Сіз жеке тұлға ретінде кірдіңіз").wait_for()
    page.get_by_role("button", name="Қарсы").click()
    expect(page.locator("[data-total=against]")).to_have_text("1")


def test_closed_discussion_offers_no_form(portal, page):
    page.goto(f"{portal}/ru/discussions/BP-2026-261-002/")
    # Issue 14: its result instead of a sign-in, a vote or a form.
    page.locator("#result").wait_for(state="visible")
    assert page.locator("form.propose, [data-participation], [data-vote]").count() == 0
    assert "Голосов за документ" in page.locator("#result").inner_text()
