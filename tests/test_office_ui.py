"""The server-rendered back office at /office/ over real HTTP: sign-in page, roles (R8),
moderation (R15), answers (R16), staff, audit log, reports, languages, security headers."""
from __future__ import annotations

import html
import re
import shutil
import sqlite3
import threading

import pytest
from werkzeug.serving import make_server
from werkzeug.test import Client

from portal.web import portal_app
from submit_api import audit
from submit_api.identity import person_id
from tests.ncalayer_double import NcaLayerDouble
from tests.helpers import OPEN, propose
from tests.helpers import db, moderate

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self' wss://127.0.0.1:13579 ws://127.0.0.1:*; frame-ancestors 'none'; "
       "form-action 'self'; base-uri 'none'")


def page(response) -> str:
    return response.get_data(as_text=True)


def token(client, path: str = "/office/") -> str:
    """The CSRF token of a form on an office page, as a browser would send it."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page(client.get(path)))
    assert found, "no form with a CSRF token on " + path
    return found.group(1)


def submit(client, path: str, form: dict, page_path: str = "/office/"):
    return client.post(path, data={"csrf_token": token(client, page_path), **form})


def status_of(app, pid: int) -> str:
    with db(app) as conn:
        return conn.execute("SELECT status FROM proposals WHERE id = ?", (pid,)).fetchone()[0]


def published(office, text: str) -> int:
    pid = propose(office("person1"), text).get_json()["id"]
    assert moderate(office("person2"), pid).status_code == 200
    return pid


# --- who gets in ----------------------------------------------------------------------------

def test_r13_signed_out_gets_the_sign_in_page(client):
    front = client.get("/office/")
    assert front.status_code == 200
    body = page(front)
    assert 'data-action="sign-in"' in body and 'data-office-signin' in body
    assert 'data-action="demo-sign-in"' not in body  # no demo signer unless configured
    assert client.get("/office/audit").status_code == 401
    assert client.post("/office/proposals/1/moderation", data={}).status_code in (400, 401)


def test_demo_sign_in_button_only_with_the_demo_signer(app_factory):
    app = app_factory(DEMO_SIGNER=True)
    assert 'data-action="demo-sign-in"' in page(app.test_client().get("/office/"))


def test_r8_a_signed_in_citizen_is_not_staff(office):
    response = office("person1").get("/office/?lang=ru")
    assert response.status_code == 403
    assert "сотрудников оператора и государственных органов" in page(response)
    assert 'data-rule="R8"' in page(response)


# --- moderation (R15) -----------------------------------------------------------------------

def test_r15_operator_sees_due_date_flags_and_overdue_mark(office, monkeypatch):
    pid = propose(office("person1"), "Добавить показатель. Подробнее: www.example.kz").get_json()["id"]
    operator = office("person2")
    body = page(operator.get("/office/?lang=ru"))
    item = body[body.index(f'id="p-{pid}"'):]
    assert f"Предложение № {pid}" in item
    assert "Срок решения — 7 марта 2025" in item  # 2 working days from 5 March
    assert 'class="flag flag-link">Ссылка' in item
    assert "Программа BP-2026-225-001" in item and "Цель" in item  # title and part, manifest
    assert "tag-overdue" not in item
    monkeypatch.setenv("ASHYQ_NOW", "2025-03-12T09:00:00+05:00")
    late = page(operator.get("/office/"))
    item = late[late.index(f'id="p-{pid}"'):]
    assert "tag-overdue" in item and "Просрочено" in item  # said in words, not only colour
    assert "Просрочено: 1" in late


def test_r15_queue_filters(office):
    citizen = office("person1")
    link = propose(citizen, "Смотрите www.example.kz").get_json()["id"]
    plain = propose(citizen, "Обычное предложение по цели").get_json()["id"]
    operator = office("person2")
    only_links = page(operator.get("/office/?flag=link"))
    assert f'id="p-{link}"' in only_links and f'id="p-{plain}"' not in only_links
    assert f'id="p-{plain}"' in page(operator.get(f"/office/?document={OPEN}"))
    assert 'id="p-' not in page(operator.get("/office/?overdue=1"))


def test_r15_operator_publishes_through_the_form(office, app):
    pid = propose(office("person1"), "Опубликуйте меня").get_json()["id"]
    operator = office("person2")
    operator.get("/office/?lang=ru")
    response = submit(operator, f"/office/proposals/{pid}/moderation?flag=link",
                      {"decision": "publish", "reason": "complies", "text": ""})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/office/?flag=link#queue")  # filters kept
    assert status_of(app, pid) == "published"
    after = page(operator.get(response.headers["Location"]))
    assert f"Предложение № {pid} опубликовано." in after and 'class="notice"' in after
    with db(app) as conn:
        assert audit.verify(conn).ok
        assert conn.execute("SELECT action FROM audit_log ORDER BY id DESC").fetchone()[0] == "moderate"


def test_r15_refusal_needs_grounds_of_paragraph_14_and_words(office, app):
    pid = propose(office("person1"), "Откажите мне").get_json()["id"]
    operator = office("person2")
    operator.get("/office/?lang=ru")
    no_ground = submit(operator, f"/office/proposals/{pid}/moderation",
                       {"decision": "refuse", "text": ""})
    assert no_ground.status_code == 422
    body = page(no_ground)
    assert "пункт 15 Правил" in body and 'data-rule="R15"' in body
    assert 'aria-invalid="true"' in body and 'value="refuse" checked' in body  # input kept
    assert 'name="grounds" value="spam"' in body and 'value="other"' not in body
    no_words = submit(operator, f"/office/proposals/{pid}/moderation",
                      {"decision": "refuse", "grounds": "spam", "text": "  "})
    assert no_words.status_code == 422 and 'value="spam" checked' in page(no_words)
    unknown = submit(operator, f"/office/proposals/{pid}/moderation",
                     {"decision": "refuse", "grounds": "other", "text": "Министерство не согласно"})
    assert unknown.status_code == 400 and 'data-rule="R15"' in page(unknown)
    assert status_of(app, pid) == "pending"
    done = submit(operator, f"/office/proposals/{pid}/moderation",
                  {"decision": "refuse", "grounds": ["spam", "off_topic"], "text": "Не по теме бюджета"})
    assert done.status_code == 303 and status_of(app, pid) == "refused"
    again = submit(operator, f"/office/proposals/{pid}/moderation",
                   {"decision": "publish", "reason": "complies"})
    assert again.status_code == 409


def test_r15_only_the_operator_moderates(office, app):
    pid = propose(office("person1"), "Модерировать может только оператор").get_json()["id"]
    employee = office("person3")
    response = submit(employee, f"/office/proposals/{pid}/moderation",
                      {"decision": "publish", "reason": "complies"})
    assert response.status_code == 403 and 'data-rule="R8"' in page(response)
    assert status_of(app, pid) == "pending"


def test_a_form_without_its_csrf_token_is_refused_as_a_page(office):
    pid = propose(office("person1"), "Без токена").get_json()["id"]
    response = office("person2").post(f"/office/proposals/{pid}/moderation",
                                      data={"decision": "publish", "reason": "complies"})
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"] == CSP


def test_proposal_text_is_escaped(office):
    pid = propose(office("person1"), "<script>alert(1)</script>\nвторая строка").get_json()["id"]
    body = page(office("person2").get("/office/"))
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\nвторая строка" in body
    assert f'id="p-{pid}"' in body


# --- answers (R16) --------------------------------------------------------------------------

def test_r16_employee_answers_and_revises(office, app):
    pid = published(office, "Учесть сельские школы")
    employee = office("person3")
    queue = page(employee.get("/office/?lang=ru"))
    assert f'id="p-{pid}"' in queue and "Срок ответа — 11 марта 2025" in queue
    assert "Предложения на модерации" not in queue  # an employee does not moderate
    empty = submit(employee, f"/office/proposals/{pid}/answer", {"decision": "accept", "text": " "})
    assert empty.status_code == 422 and "пункт 16 Правил" in page(empty)
    done = submit(employee, f"/office/proposals/{pid}/answer",
                  {"decision": "accept", "text": "Учтем при доработке паспорта."})
    assert done.status_code == 303 and done.headers["Location"].endswith("#answers")
    assert status_of(app, pid) == "accepted"
    assert f'id="p-{pid}"' not in page(employee.get("/office/"))  # answered: off the queue
    answered = page(employee.get("/office/?answered=1"))
    assert "Учтем при доработке паспорта." in answered and "Изменить ответ" in answered
    revised = submit(employee, f"/office/proposals/{pid}/answer?answered=1",
                     {"decision": "reject", "text": "Не входит в программу."}, "/office/?answered=1")
    assert revised.status_code == 303 and status_of(app, pid) == "rejected"


def test_r16_employee_of_another_administrator_cannot_answer(office, app):
    pid = published(office, "Это документ администратора 225")
    other = office("person4")  # employee of 261
    assert f'id="p-{pid}"' not in page(other.get("/office/"))
    response = submit(other, f"/office/proposals/{pid}/answer",
                      {"decision": "reject", "text": "Не наш документ"})
    assert response.status_code == 403 and 'data-rule="R8"' in page(response)
    assert status_of(app, pid) == "published"


def test_r16_no_answers_after_the_discussion(office, monkeypatch):
    pid = published(office, "Поздний ответ")
    employee = office("person3")
    monkeypatch.setenv("ASHYQ_NOW", "2025-03-12T09:00:00+05:00")
    body = page(employee.get("/office/?lang=ru"))
    item = body[body.index(f'id="p-{pid}"'):]
    assert "Просрочено: обсуждение завершено" in item
    assert f"/office/proposals/{pid}/answer" not in item  # no form any more
    late = submit(employee, f"/office/proposals/{pid}/answer", {"decision": "accept", "text": "Да"})
    assert late.status_code == 409 and "пункт 16 Правил" in page(late)


# --- staff (R8) -----------------------------------------------------------------------------

def test_r8_lead_grants_and_revokes_an_employee(office, pki, app):
    lead, newcomer = office("person5"), office("person1")
    assert newcomer.get("/office/").status_code == 403
    lead.get("/office/staff?lang=ru")
    bad = submit(lead, "/office/staff", {"iin": "123456789012"}, "/office/staff")
    assert bad.status_code == 422 and "ИИН" in page(bad)
    iin = pki.leaf("person1").iin
    granted = submit(lead, "/office/staff", {"iin": iin, "administrator": "225"}, "/office/staff")
    assert granted.status_code == 303
    listing = page(lead.get("/office/staff"))
    target = person_id(iin, app.config["IDENTITY_KEY"])
    assert target[:12] in listing and iin not in listing and target not in listing
    assert newcomer.get("/office/").status_code == 200  # now an employee of 225
    with db(app) as conn:
        role_id = conn.execute("SELECT id FROM staff_roles WHERE person = ? AND revoked_at IS NULL",
                               (target,)).fetchone()[0]
    revoked = submit(lead, f"/office/staff/{role_id}/revoke", {}, "/office/staff")
    assert revoked.status_code == 303
    assert newcomer.get("/office/").status_code == 403


def test_r8_lead_acts_only_on_its_own_code(office, pki, app):
    lead = office("person5")
    refused = submit(lead, "/office/staff", {"iin": pki.leaf("person1").iin, "administrator": "261"},
                     "/office/staff")
    assert refused.status_code == 403
    with db(app) as conn:
        other_id = conn.execute("SELECT id FROM staff_roles WHERE administrator = '261'").fetchone()[0]
    assert submit(lead, f"/office/staff/{other_id}/revoke", {}, "/office/staff").status_code == 403
    assert f"/office/staff/{other_id}/revoke" not in page(lead.get("/office/staff"))


def test_r8_staff_page_is_for_leads_and_operators(office):
    assert office("person3").get("/office/staff").status_code == 403
    everyone = page(office("person2").get("/office/staff"))
    assert everyone.count("<tr>") == 5  # header + four roles, read-only
    assert "/revoke" not in everyone and 'name="iin"' not in everyone


# --- audit and reports ----------------------------------------------------------------------

def test_audit_page_shows_entries_and_the_chain(office, app):
    pid = published(office, "Для журнала")
    operator = office("person2")
    body = page(operator.get("/office/audit?lang=ru"))
    assert 'data-chain="intact"' in body and "Цепочка цела." in body
    assert f"proposal:{pid}" in body and "Решение модерации" in body
    assert operator.get("/office/audit.csv").get_data(as_text=True).startswith("id,at,actor")
    conn = sqlite3.connect(app.config["DATABASE"], isolation_level=None)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET after = '{\"status\":\"refused\"}' WHERE action = 'moderate'")
    conn.close()
    broken = page(operator.get("/office/audit"))
    assert 'data-chain="broken" data-broken-at="5"' in broken and "записи № 5" in broken


def test_reports_page_lists_reports_and_deliveries(office, app):
    operator = office("person2")
    assert operator.get("/office/reports").status_code == 200
    with db(app) as conn:
        conn.execute("INSERT INTO reports (id, document, version, generated_at, data, files, sha256) "
                     "VALUES (1, ?, 1, '2025-03-12T00:05:00+05:00', '{}', '{}', 'x')", (OPEN,))
        conn.execute("INSERT INTO deliveries (report, recipient, status, attempts, last_error, "
                     "message_id) VALUES (1, 'budget225@edu.example', 'failed', 3, "
                     "'<smtp> refused', 'm1')")
    body = page(operator.get("/office/reports?lang=ru"))
    assert OPEN in body and "Не отправлен" in body and "&lt;smtp&gt; refused" in body


# --- languages, headers, the one origin -----------------------------------------------------

def test_r3_kazakh_and_russian_pages(office):
    operator = office("person2")
    kk = page(operator.get("/office/?lang=kk"))
    assert '<html lang="kk">' in kk and "Жұмыс кезегі — Қызметкерлер кабинеті" in kk
    ru = page(operator.get("/office/?lang=ru"))
    assert '<html lang="ru">' in ru and "Рабочая очередь — Кабинет сотрудников" in ru
    assert '<html lang="ru">' in page(operator.get("/office/audit"))  # the choice is remembered
    assert 'href="/office/audit?lang=kk"' in page(operator.get("/office/audit"))  # the switch


def test_language_from_accept_language_kazakh_otherwise(client):
    assert '<html lang="ru">' in page(client.get("/office/", headers={"Accept-Language": "ru-RU,ru"}))
    assert '<html lang="kk">' in page(client.get("/office/", headers={"Accept-Language": "de"}))


def test_security_headers_and_no_inline_code(office):
    operator = office("person2")
    propose(office("person1"), "Для проверки заголовков")
    for path in ("/office/", "/office/staff", "/office/audit", "/office/reports", "/office/nowhere"):
        response = operator.get(path)
        assert response.headers["Content-Security-Policy"] == CSP, path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["Cache-Control"] == "no-store"
        body = page(response)
        assert "style=" not in body and not re.search(r"<script(?![^>]*\bsrc=)", body), path
        assert re.search(r"\son\w+=", body) is None, path
    assert operator.get("/office/nowhere").status_code == 404


def test_office_is_served_beside_the_site_and_the_api(app):
    site = app.config["MANIFEST"].rsplit("/opendata/", 1)[0]
    client = Client(portal_app(site, api_app=app))
    response = client.get("/office/", headers={"Accept-Language": "ru"})
    assert response.status_code == 200 and "Кабинет сотрудников" in html.unescape(page(response))
    assert client.get("/office").status_code in (301, 308)
    asset = client.get("/office/static/office.js")
    assert asset.status_code == 200
    asset.close()
    assert client.get("/api/health").get_json() == {"ok": True}


@pytest.mark.parametrize("path", ["/office/static/office.css", "/office/static/office.js"])
def test_office_assets_exist(client, path):
    response = client.get(path)
    assert response.status_code == 200 and response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()


# --- in a real browser: NCALayer sign-in under the CSP, keyboard, the decision form ------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_r15_operator_signs_in_with_ncalayer_and_moderates_in_chromium(office, app, app_factory, pki):
    from playwright.sync_api import sync_playwright
    pid = propose(office("person1"), "Проверка в браузере: www.example.kz").get_json()["id"]
    site = app.config["MANIFEST"].rsplit("/opendata/", 1)[0]
    with NcaLayerDouble(pki, who="person2") as ncalayer:
        served = app_factory(NCALAYER_URL=ncalayer.url)
        server = make_server("127.0.0.1", 0, portal_app(site, api_app=served), threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
                page = browser.new_page()
                problems = []
                page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
                page.goto(f"http://127.0.0.1:{server.server_port}/office/?lang=ru")
                page.get_by_role("button", name="Войти с ЭЦП").click()
                page.get_by_role("heading", name="Предложения на модерации").wait_for()
                oids = ncalayer.requests[0]["args"]["signerParams"]["extKeyUsageOids"]
                assert oids == ["1.3.6.1.5.5.7.3.2"]  # staff may use a legal entity's key
                page.keyboard.press("Tab")
                assert page.evaluate("document.activeElement.textContent") == "Перейти к очереди"
                form = page.locator(f"#p-{pid} form")
                grounds = form.locator("[data-grounds]")
                assert grounds.is_hidden()  # R15: the grounds of ¶14 are for a refusal
                form.get_by_label("Отказать в публикации").check()
                assert grounds.is_visible() and form.locator("textarea[name=text]").get_attribute("required") is not None
                assert grounds.locator("input[type=checkbox]").count() == 6  # ¶14's grounds, no "other"
                form.get_by_label("Опубликовать").check()
                form.get_by_role("button", name="Сохранить решение").click()
                page.get_by_text(f"Предложение № {pid} опубликовано.").wait_for()
                assert [m for m in problems if "favicon" not in m and "404" not in m] == []
                browser.close()
        finally:
            server.shutdown()
            thread.join(timeout=5)
