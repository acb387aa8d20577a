"""Hostile input (issue 13): every refusal is a 4xx in the one error shape, never a 500, and
every response of the portal carries the security headers. One test per finding; the fuzz
loop is tests/test_fuzz.py."""
from __future__ import annotations

import datetime as dt

import pytest
from werkzeug.test import Client

from ashyq.budget import BudgetFileInvalid, parse_budget_file
from portal.web import portal_app
from tests.helpers import GOOD_CSV, OPEN, csrf, propose, xlsx

ERROR_KEYS = {"ok", "status", "error", "errors"}


def assert_refused(response, status: int, code: str | None = None) -> dict:
    """A refusal in the one JSON error shape (submit_api/errors.py)."""
    assert response.status_code == status, (response.status_code, response.get_data()[:300])
    body = response.get_json()
    assert set(body) == ERROR_KEYS and body["ok"] is False and body["status"] == status
    if code:
        assert body["errors"][0]["code"] == code, body
    return body


class ClosingClient(Client):
    """Reads and closes every response (no file handle left open)."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        response.get_data()
        response.close()
        return response


# --- security headers on every response (static side and Flask side) ------------------------

@pytest.fixture(scope="module")
def portal(sample_site, tmp_path_factory):
    base = tmp_path_factory.mktemp("portal")
    return ClosingClient(portal_app(sample_site, {"TESTING": True,
                                                  "DATABASE": str(base / "db.sqlite3")}))


@pytest.mark.parametrize("path", [
    "/",                                   # redirect to the language
    "/ru/discussions",                     # redirect to the folder
    "/.output.builds/",                    # dotfile 404
    "/ru/no-such-page/",                   # the site's 404 page
    "/theme/css/site.css",                 # a static file
    "/ru/",                                # a page
    "/api/health",                         # API JSON
    "/api/nothing-here",                   # API error
    "/api/openapi.json",
    "/office/",                            # office page (its own CSP)
    "/office/nothing",                     # office error page
])
def test_every_response_carries_the_security_headers(portal, path):
    from ashyq.headers import SECURITY_HEADERS
    response = portal.get(path)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (path, name, dict(response.headers))
    csp = response.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp, (path, csp)


def test_api_answers_may_run_nothing(portal):
    csp = portal.get("/api/health").headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp


# --- Range headers on static files ----------------------------------------------------------

@pytest.mark.parametrize("value", ["bytes=5-1", "bytes=abc", "foo", "bytes=0-0,5-1", "bytes=-0"])
def test_an_invalid_range_is_ignored(portal, value):
    """RFC 9110 14.2: a Range header that cannot be parsed is ignored: the whole file."""
    full = portal.get("/theme/css/site.css")
    response = portal.get("/theme/css/site.css", headers={"Range": value})
    assert response.status_code in (200, 416), response.status_code
    if response.status_code == 200:
        assert response.get_data() == full.get_data()
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_an_unsatisfiable_range_is_416_and_a_good_one_206(portal):
    size = len(portal.get("/theme/css/site.css").get_data())
    response = portal.get("/theme/css/site.css", headers={"Range": f"bytes={size + 10}-"})
    assert response.status_code == 416 and response.headers["Content-Range"] == f"bytes */{size}"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    part = portal.get("/theme/css/site.css", headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and len(part.get_data()) == 10


# --- one JSON-reading helper: depth, decoding, type ------------------------------------------

DEEP = "[" * 30_000 + "]" * 30_000


def post_raw(client, path: str, data, content_type="application/json"):
    return client.post(path, data=data, content_type=content_type,
                       headers={"X-CSRFToken": csrf(client)})


@pytest.mark.parametrize("path", ["/api/auth/eds", f"/api/documents/{OPEN}/votes",
                                  f"/api/documents/{OPEN}/proposals"])
@pytest.mark.parametrize("data, code", [
    (DEEP, "json_too_deep"),
    ('{"a":' * 10_000 + "1" + "}" * 10_000, "json_too_deep"),  # 50 kB, under the cap
    (b'{"value": "for\xff"}', "json_malformed"),      # not UTF-8
    ('{"value": "for",', "json_malformed"),           # cut short
    ("[1, 2]", "json_object_required"),               # not an object
])
def test_a_json_body_that_cannot_be_read_is_a_400(client, sign_in, path, data, code):
    sign_in(client)
    body = assert_refused(post_raw(client, path, data), 400, code)
    assert body["error"]


def test_the_error_handler_does_not_read_the_body_again(client, sign_in):
    """The language of an error comes from the query or the headers, never a second parse."""
    sign_in(client)
    response = client.post(f"/api/documents/{OPEN}/votes?lang=ru", data=DEEP,
                           content_type="application/json", headers={"X-CSRFToken": csrf(client)})
    assert_refused(response, 400, "json_too_deep")
    assert "JSON" in response.get_json()["error"]


# --- R14: lone surrogates and bidi controls in free texts ------------------------------------

HOSTILE_TEXTS = [("Предлагаю \ud800 увеличить", "U+D800"),
                 ("Предлагаю \u202eувеличить", "U+202E"),
                 ("Предлагаю \u2066увеличить\u2069", "U+2066")]


@pytest.mark.parametrize("text, char", HOSTILE_TEXTS)
def test_r14_surrogates_and_bidi_controls_in_a_proposal_are_refused(client, sign_in, text, char):
    sign_in(client)
    body = assert_refused(propose(client, text), 422, "control_characters")
    assert body["errors"][0]["rule"] == "R14" and char in body["error"]


def test_r14_a_lone_surrogate_as_a_json_escape_is_refused(client, sign_in):
    sign_in(client)
    raw = '{"part": "purpose", "lang": "ru", "text": "Предлагаю \\ud800 увеличить"}'
    body = assert_refused(post_raw(client, f"/api/documents/{OPEN}/proposals", raw), 422,
                          "control_characters")
    assert body["errors"][0]["rule"] == "R14"


@pytest.mark.parametrize("text, char", HOSTILE_TEXTS)
def test_r14_the_same_characters_in_a_refusal_or_an_answer_are_refused(office, text, char):
    citizen, operator, employee = office("person1"), office("person2"), office("person3")
    pid = propose(citizen, "Добавить показатель по сельским школам.").get_json()["id"]
    refusal = operator.post(f"/api/office/proposals/{pid}/moderation",
                            json={"decision": "refuse", "grounds": ["spam"], "text": text},
                            headers={"X-CSRFToken": csrf(operator)})
    body = assert_refused(refusal, 422, "control_characters")
    assert body["errors"][0]["rule"] == "R14" and char in body["error"]
    operator.post(f"/api/office/proposals/{pid}/moderation",
                  json={"decision": "publish", "reason": "complies"},
                  headers={"X-CSRFToken": csrf(operator)})
    reply = employee.post(f"/api/office/proposals/{pid}/answer",
                          json={"decision": "accept", "text": text},
                          headers={"X-CSRFToken": csrf(employee)})
    body = assert_refused(reply, 422, "control_characters")
    assert body["errors"][0]["rule"] == "R14" and char in body["error"]


def test_r14_a_bidi_control_in_the_office_form_is_refused(office):
    citizen, operator = office("person1"), office("person2")
    pid = propose(citizen, "Добавить показатель по сельским школам.").get_json()["id"]
    page = operator.post(f"/office/proposals/{pid}/moderation?lang=ru",
                         data={"decision": "refuse", "grounds": "spam", "text": "спам \u202e",
                               "csrf_token": csrf(operator)})
    assert page.status_code == 422 and "U+202E" in page.get_data(as_text=True)


# --- staff endpoints: typed fields and query arguments ----------------------------------------

@pytest.mark.parametrize("body, field", [
    ({"iin": "900101300105", "role": "employee", "administrator": ["225"]}, "administrator"),
    ({"iin": "900101300105", "role": ["employee"], "administrator": "225"}, "role"),
    ({"iin": 900101300105, "role": "employee", "administrator": "225"}, "iin"),
    ({"iin": "900101300105", "role": "employee", "administrator": {"a": 1}}, "administrator"),
])
def test_r8_a_grant_with_wrong_types_is_a_400(office, body, field):
    lead = office("person5")
    for path in ("/api/office/staff", "/api/office/staff/revoke"):
        response = lead.post(path, json=body, headers={"X-CSRFToken": csrf(lead)})
        assert assert_refused(response, 400, "bad_type")["errors"][0]["field"] == field


@pytest.mark.parametrize("query, field", [("limit=abc", "limit"), ("offset=x", "offset"),
                                          ("limit=1e9", "limit"), ("offset=-", "offset")])
def test_a_query_argument_of_the_wrong_type_is_a_400(office, query, field):
    operator = office("person2")
    response = operator.get(f"/api/office/audit?{query}")
    assert assert_refused(response, 400, "bad_type")["errors"][0]["field"] == field
    assert operator.get("/api/office/audit?limit=99999&offset=-5").status_code == 200  # capped


@pytest.mark.parametrize("field, value, code", [("decision", ["publish"], "bad_type"),
                                                ("text", 5, "bad_type"),
                                                ("grounds", {"x": 1}, "bad_type")])
def test_moderation_with_wrong_types_is_a_400(office, field, value, code):
    citizen, operator = office("person1"), office("person2")
    pid = propose(citizen, "Добавить показатель по сельским школам.").get_json()["id"]
    body = {"decision": "refuse", "grounds": ["spam"], "text": "Не по теме", field: value}
    response = operator.post(f"/api/office/proposals/{pid}/moderation", json=body,
                             headers={"X-CSRFToken": csrf(operator)})
    assert_refused(response, 400, code)


@pytest.mark.parametrize("challenge", ["not xml at all", "<a><b></a>", "", "<?xml version='1.0'?>",
                                       "<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>", "\ud800"])
def test_demo_sign_on_anything_but_a_challenge_is_a_400(app_factory, challenge):
    client = app_factory(DEMO_SIGNER=True).test_client()
    response = client.post("/api/auth/demo-sign", json={"challenge": challenge, "person": 1},
                           headers={"X-CSRFToken": csrf(client)})
    assert_refused(response, 400)


# --- the manifest: unreadable is a 503 ---------------------------------------------------------

@pytest.mark.parametrize("content", ['{"documents": [{"uid": "BP-20', "", '{"documents": 5}',
                                     '{"documents": [{"uid": "X"}]}', "\xff"])
def test_a_half_written_manifest_is_a_503_not_a_500(app, client, sign_in, content):
    from pathlib import Path
    sign_in(client)
    path = Path(app.config["MANIFEST"])
    path.write_bytes(content.encode("utf-8", "surrogateescape") if content != "\xff" else b"\xff")
    response = client.post(f"/api/documents/{OPEN}/votes", json={"value": "for"},
                           headers={"X-CSRFToken": csrf(client)})
    assert_refused(response, 503, "manifest_unavailable")
    totals = client.get(f"/api/documents/{OPEN}/totals")
    assert_refused(totals, 503, "manifest_unavailable")
    assert totals.headers["Retry-After"] == "60"


def test_office_pages_survive_a_half_written_manifest(app, office):
    from pathlib import Path
    employee = office("person3")
    Path(app.config["MANIFEST"]).write_text('{"documents": [', encoding="utf-8")
    assert employee.get("/office/").status_code == 200


# --- duplicates: numbers count -----------------------------------------------------------------

def test_r14_proposals_differing_only_in_numbers_are_not_duplicates(client, sign_in):
    sign_in(client)
    assert propose(client, "Увеличить программу 001 на 10 %").status_code == 201
    assert propose(client, "Увеличить программу 002 на 50 %").status_code == 201
    again = propose(client, "увеличить  программу 002 на 50%!", part="objectives")
    assert_refused(again, 409, "duplicate")  # the same text, case and punctuation aside


def test_text_key_keeps_digits_and_ignores_case_spacing_punctuation():
    from submit_api.screening import text_key
    assert text_key("Программа 001: +10 %") == text_key("программа  001 ,10%")
    assert text_key("Программа 001 на 10 %") != text_key("Программа 002 на 50 %")


# --- R17: an interrupted report leaves no temporary folder for ever ---------------------------

def test_r17_temporary_folders_of_dead_processes_are_removed_on_the_next_run(tmp_path):
    import os
    import subprocess
    import sys

    from submit_api.db import connect, init_db
    from submit_api.reports.store import generate_due_reports

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # its pid now belongs to no process
    reports = tmp_path / "reports"
    left = reports / OPEN / f".tmp-v1-{dead.pid}-0badf00d"
    (left / "kk").mkdir(parents=True)
    (left / "kk" / "report.pdf").write_bytes(b"%PDF half")
    running = reports / OPEN / f".tmp-v2-{os.getpid()}-0c0ffee0"  # a render under way here
    running.mkdir()
    database = tmp_path / "db.sqlite3"
    init_db(str(database))
    conn = connect(str(database))
    generate_due_reports(conn, [], dt.date(2025, 3, 12), reports)
    assert not left.exists() and running.exists()


# --- R4 imports: sizes and depths capped, with a clear message ---------------------------------

ADMINS = {"225": {"kk": "Оқу-ағарту министрлігі"}, "261": {"kk": "Білім басқармасы"}}


def refused(data: bytes | str, name: str) -> list:
    with pytest.raises(BudgetFileInvalid) as info:
        parse_budget_file(data.encode("utf-8") if isinstance(data, str) else data, name, ADMINS)
    return info.value.problems


def with_entry(workbook: bytes, name: str, size: int) -> bytes:
    """The workbook with one more (highly compressible) entry of ``size`` bytes unpacked."""
    import io
    import zipfile
    out = io.BytesIO(workbook)
    with zipfile.ZipFile(out, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open(name, "w", force_zip64=True) as entry:
            block = b"<x/>" * (1 << 18)
            for _ in range(size // len(block)):
                entry.write(block)
    return out.getvalue()


GOOD_ROWS = [line.split(",") for line in GOOD_CSV.strip().splitlines()]


def test_r4_xlsx_unpacking_to_more_than_128_mb_is_refused_before_reading():
    bomb = with_entry(xlsx(GOOD_ROWS), "xl/worksheets/sheet9.xml", 130 * 1024 * 1024)
    assert len(bomb) < 2 * 1024 * 1024
    problem = refused(bomb, "x.xlsx")[0]
    assert problem.code == "too_large" and "128 MB" in problem.text


def test_r4_xlsx_parts_read_whole_are_capped_at_16_mb():
    """Only worksheets are streamed; shared strings, styles and the rest are held in memory."""
    bomb = with_entry(xlsx(GOOD_ROWS), "xl/sharedStrings9.xml", 17 * 1024 * 1024)
    problem = refused(bomb, "x.xlsx")[0]
    assert problem.code == "too_large" and "16 MB" in problem.text


def test_r4_xlsx_with_too_many_columns_is_refused():
    wide = GOOD_ROWS[1] + [None] * 10_000 + ["x"]
    problem = refused(xlsx([GOOD_ROWS[0], wide]), "x.xlsx")[0]
    assert problem.code == "too_many_columns" and problem.row == 2


def test_r4_xlsx_with_a_row_far_below_is_refused_without_walking_to_it():
    import io

    from openpyxl import Workbook
    book = Workbook()
    for row in GOOD_ROWS:
        book.active.append(row)
    book.active.cell(row=1_000_000, column=1, value="2026-10")
    out = io.BytesIO()
    book.save(out)
    assert refused(out.getvalue(), "x.xlsx")[0].code == "too_many_rows"


def test_r4_deeply_nested_budget_json_is_refused_with_a_clear_problem():
    problem = refused('{"period": "2026-10", "rows": ' + "[" * 30_000 + "]" * 30_000 + "}",
                      "x.json")[0]
    assert problem.code == "too_deep" and "nested" in problem.text


def test_r4_deeply_nested_json_from_the_import_command_is_a_message_not_a_traceback(tmp_path):
    from click.testing import CliRunner

    from portal.cli import main
    path = tmp_path / "deep.json"
    path.write_text("[" * 30_000 + "]" * 30_000, encoding="utf-8")
    content = tmp_path / "content"
    content.mkdir()
    (content / "administrators.toml").write_text('[[administrator]]\ncode = "225"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["import", str(path), "--content", str(content),
                                       "--archive", str(tmp_path / "archive"), "--no-build"])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert "nested" in result.output and not isinstance(result.exception, RecursionError)


def test_r4_deeply_nested_json_to_the_ingest_endpoint_is_a_422(app_factory, tmp_path):
    app = app_factory(INGEST_TOKENS={"minfin": "t0ken"}, INGEST_CONTENT=str(tmp_path / "c"),
                      INGEST_ARCHIVE=str(tmp_path / "a"))
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "administrators.toml").write_text('[[administrator]]\ncode = "225"\n',
                                                        encoding="utf-8")
    response = app.test_client().post(
        "/api/ingest/budget-reporting", data="[" * 30_000 + "]" * 30_000,
        content_type="application/json", headers={"Authorization": "Bearer t0ken"})
    body = assert_refused(response, 422, "file_refused")
    assert body["errors"][1]["code"] == "too_deep"
