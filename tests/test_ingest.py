"""The machine interface of the central body (R8): POST /api/ingest/budget-reporting."""
from __future__ import annotations

import io
import json

import pytest

from tests.helpers import GOOD_CSV, xlsx

URL = "/api/ingest/budget-reporting"
TOKEN = "minfin-ais-0f7c2b9e4d1a"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def ingest(app_factory, small_content, tmp_path):
    """An app with one sending system, over ``small_content``; returns (app, client, paths)."""
    calls = []
    app = app_factory(INGEST_TOKENS=json.dumps({"minfin-ais": TOKEN, "other": "x" * 24}),
                      CONTENT=str(small_content), INGEST_ARCHIVE=str(tmp_path / "archive"),
                      INGEST_REBUILD_FLAG=str(tmp_path / "rebuild-needed"))
    app.extensions["ashyq_rebuild"] = calls.append
    paths = {"archive": tmp_path / "archive", "flag": tmp_path / "rebuild-needed",
             "dataset": small_content / "reporting/data/2026-10.json", "calls": calls}
    return app, app.test_client(), paths


def assert_error_shape(response, status: int, code: str) -> dict:
    body = response.get_json()
    assert response.status_code == status, body
    assert set(body) == {"ok", "status", "error", "errors"} and body["ok"] is False
    assert body["status"] == status and body["errors"][0]["code"] == code
    return body


def nothing_written(paths) -> bool:
    return not paths["archive"].exists() and not paths["dataset"].exists() \
        and not paths["flag"].exists() and not paths["calls"]


def test_r8_ingest_refuses_a_missing_or_wrong_token(ingest):
    _app, client, paths = ingest
    for headers, code in (({}, "token_missing"), ({"Authorization": f"Basic {TOKEN}"}, "token_missing"),
                          ({"Authorization": "Bearer wrong-token"}, "token_invalid"),
                          ({"Authorization": f"Bearer {TOKEN}x"}, "token_invalid")):
        response = client.post(URL, data=GOOD_CSV, content_type="text/csv", headers=headers)
        body = assert_error_shape(response, 401, code)
        assert body["errors"][0]["rule"] == "R8"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert nothing_written(paths)


def test_r8_ingest_without_configured_tokens_refuses_everyone(app_factory, small_content):
    client = app_factory(CONTENT=str(small_content)).test_client()
    assert_error_shape(client.post(URL, data=GOOD_CSV, content_type="text/csv",
                                   headers={"Authorization": "Bearer "}), 401, "token_missing")
    assert_error_shape(client.post(URL, data=GOOD_CSV, content_type="text/csv", headers=AUTH),
                       401, "token_invalid")


def test_r4_r8_bad_file_is_refused_with_row_level_errors(ingest):
    _app, client, paths = ingest
    bad = GOOD_CSV.replace(",900,950,700,", ",900,-950,70o,")
    response = client.post(URL + "?name=october.csv&lang=ru", data=bad, content_type="text/csv",
                           headers=AUTH)
    body = assert_error_shape(response, 422, "file_refused")
    assert "ничего не опубликовано" in body["error"]
    rows = body["errors"][1:]
    assert [(e["code"], e["field"], e["rule"]) for e in rows] == [
        ("negative", "row 6: adjusted", "R4"), ("not_a_number", "row 6: executed", "R4")]
    assert rows[1]["message"] == "Не число: 70o."
    assert nothing_written(paths)


def test_r8_good_file_is_archived_published_and_marks_a_rebuild(ingest):
    _app, client, paths = ingest
    data = GOOD_CSV.replace(",", ";").replace("1205.3", "1205,3").encode("utf-8")
    response = client.post(URL + "?name=october.csv", data=data, content_type="text/csv",
                           headers=AUTH)  # no CSRF token: a machine client (R8)
    body = response.get_json()
    assert response.status_code == 201, body
    assert (body["period"], body["rows"], body["administrators"]) == ("2026-10", 5, 2)
    [archived] = paths["archive"].iterdir()
    assert archived.name == body["archived"] and archived.name.endswith("-october.csv")
    assert archived.read_bytes() == data  # byte for byte
    stored = json.loads(paths["dataset"].read_text(encoding="utf-8"))
    assert stored["source"]["system"] == "minfin-ais" and len(stored["rows"]) == 5
    flag = json.loads(paths["flag"].read_text(encoding="utf-8"))
    assert (flag["reason"], flag["period"], flag["system"]) == ("budget-reporting", "2026-10",
                                                                "minfin-ais")
    assert [r.period for r in paths["calls"]] == ["2026-10"]


def test_r8_csrf_still_guards_the_other_routes(ingest):
    _app, client, _paths = ingest
    response = client.post("/api/documents/BP-2026-225-001/votes", json={"value": "for"})
    assert_error_shape(response, 400, "csrf")


@pytest.mark.parametrize("kind", ["xlsx", "json"])
def test_r8_xlsx_and_json_bodies(ingest, kind):
    _app, client, paths = ingest
    if kind == "xlsx":
        rows = [line.split(",") for line in GOOD_CSV.strip().splitlines()]
        data, media = xlsx(rows), XLSX
    else:
        header, *lines = [line.split(",") for line in GOOD_CSV.strip().splitlines()]
        data = json.dumps({"period": "2026-10", "rows": [dict(zip(header, r)) for r in lines]})
        data, media = data.encode("utf-8"), "application/json"
    response = client.post(URL, data=data, content_type=media, headers=AUTH)
    assert response.status_code == 201, response.get_json()
    [archived] = paths["archive"].iterdir()
    assert archived.read_bytes() == data and archived.name.endswith(f"budget-reporting.{kind}")


def test_r8_wrong_media_type_empty_and_oversized_bodies(ingest, app_factory, small_content, tmp_path):
    _app, client, paths = ingest
    assert_error_shape(client.post(URL, data=GOOD_CSV, content_type="text/plain", headers=AUTH),
                       415, "unsupported_media_type")
    assert_error_shape(client.post(URL, data=b"", content_type="text/csv", headers=AUTH),
                       400, "empty_body")
    assert nothing_written(paths)
    small = app_factory(INGEST_TOKENS={"minfin-ais": TOKEN}, INGEST_MAX_BYTES=100,
                        CONTENT=str(small_content), INGEST_ARCHIVE=str(tmp_path / "a2"))
    response = small.test_client().post(URL, data=io.BytesIO(GOOD_CSV.encode()),
                                        content_type="text/csv", headers=AUTH)
    assert_error_shape(response, 413, "request_entity_too_large")
    # a file larger than the API's usual 64 KB cap is fine here
    big = GOOD_CSV + "".join(f"2026-10,261,{n:03d},,,1,1,1,,\n" for n in range(4, 1000))
    big = big.replace(",,\n", "," + "x" * 60 + ",\n")
    assert len(big) > 64 * 1024
    assert client.post(URL, data=big, content_type="text/csv", headers=AUTH).status_code == 201
