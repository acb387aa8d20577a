"""Issue 14, feedback on every action: a double tap on "send" sends once and keeps the success
message; a repeated proposal is answered as sent; a 429 says how long to wait; refused attempts
do not count against the proposal limit; "my proposals" reads with titles and local dates."""
from __future__ import annotations

import re
import sqlite3

import pytest

from tests.helpers import CHROMIUM, CHROMIUM_ARGS, CLOSED, OPEN, propose




def count(app, text: str) -> int:
    with sqlite3.connect(app.config["DATABASE"]) as conn:
        return conn.execute("SELECT count(*) FROM proposals WHERE text = ?", (text,)).fetchone()[0]


def test_the_same_proposal_again_is_answered_as_sent(app, client, sign_in):
    sign_in(client)
    first = propose(client, "Открыть вечерние курсы для родителей.")
    again = propose(client, "Открыть вечерние курсы для родителей.")
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"] and again.get_json()["repeated"]
    assert count(app, "Открыть вечерние курсы для родителей.") == 1


def test_a_429_says_how_long_to_wait(app, sign_in):
    app.config["RATELIMIT_PROPOSALS"] = "1 per minute"
    client = app.test_client()
    sign_in(client)
    assert propose(client, "Первое предложение о курсах.").status_code == 201
    refused = propose(client, "Второе предложение о школах.")
    assert refused.status_code == 429
    wait = int(refused.headers["Retry-After"])
    body = refused.get_json()
    assert 0 < wait <= 60 and abs(body["errors"][0]["retry_after"] - wait) <= 1  # same second or next
    assert re.search(r"через \d+\u00a0с\.$", body["error"]), body["error"]
    kk = propose(client, "Үшінші ұсыныс.", lang="kk").get_json()["error"]
    assert re.search(r"\d+\u00a0секундтан кейін", kk), kk


def test_refused_attempts_do_not_count_against_the_proposal_limit(app, sign_in):
    app.config["RATELIMIT_PROPOSALS"] = "2 per minute"
    client = app.test_client()
    sign_in(client)
    for _ in range(3):
        assert propose(client, "я" * 1001).status_code == 422  # R14: too long
    assert propose(client, "Поздно", uid=CLOSED).status_code == 409  # discussion ended
    assert propose(client, "Одно.").status_code == 201
    assert propose(client, "Одно.").status_code == 200  # a repeat: not counted either
    assert propose(client, "Два.").status_code == 201
    assert propose(client, "Три.").status_code == 429  # only accepted proposals counted


def test_my_proposals_have_titles_and_local_dates(client, sign_in):
    sign_in(client)
    assert propose(client, "Добавить показатель охвата.", part="objectives").status_code == 201
    mine = client.get("/api/me/proposals", headers={"Accept-Language": "ru"}).get_json()["proposals"]
    assert mine[0]["document_title"] == f"Программа {OPEN}" and mine[0]["part_title"] == "Задачи"
    assert mine[0]["sent_on"] == "5 марта 2025\u202fг." or mine[0]["sent_on"].startswith("5 марта 2025")
    assert mine[0]["document_status"] == "open"
    kk = client.get("/api/me/proposals?lang=kk").get_json()["proposals"][0]
    assert kk["document_title"] == f"Бағдарлама {OPEN}" and kk["part_title"] == "Міндеттері"


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_a_double_tap_on_send_sends_once_and_keeps_the_success(served_demo, demo_site, monkeypatch):
    from playwright.sync_api import sync_playwright
    monkeypatch.setenv("ASHYQ_NOW", "2026-12-01T10:00:00+05:00")  # the demo's day: it is open
    text = "Двойное нажатие: предлагаю добавить вечерние занятия."
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 360, "height": 740}, has_touch=True)
        page.goto(f"{served_demo}/ru/discussions/BP-2027-225-041/")
        page.locator("[data-action=demo-sign-in]").click()
        page.locator("[data-signin-status]").filter(has_text="Вы вошли").wait_for()
        form = page.locator("form.propose").first
        form.locator("textarea").fill(text)
        button = form.locator("button[type=submit]")
        # Two submits in the same instant: the first disables the button and says so.
        state = form.evaluate("""f => { f.requestSubmit(); const b = f.querySelector('button');
            const during = {disabled: b.disabled, text: b.textContent, busy: b.getAttribute('aria-busy')};
            f.requestSubmit(); return during; }""")
        assert state["disabled"] and state["busy"] == "true" and state["text"] == "Отправка…"
        result = form.locator("[data-result]")
        result.filter(has_text="отправлено").wait_for()
        assert button.is_enabled() and button.inner_text() == "Отправить на модерацию"
        # And a real double tap on the emptied form: nothing replaces the success message.
        form.locator("textarea").fill(text)
        button.dblclick()
        page.wait_for_timeout(300)
        page.wait_for_load_state("networkidle")
        message = result.inner_text()
        assert "отправлено" in message and "уже" not in message, message
        browser.close()
    with sqlite3.connect(demo_site.config["DATABASE"]) as conn:
        assert conn.execute("SELECT count(*) FROM proposals WHERE text = ?", (text,)).fetchone()[0] == 1
