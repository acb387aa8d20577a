"""``ashyq reports``: list, regenerate, resend, verify (R17, issues 9 and 15), run as a person
would, through the command over a real SQLite file, real report files and real signatures."""
from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from portal.cli import main
from submit_api import portal_key
from submit_api.reports.store import generate_due_reports
from tests.helpers import DOCUMENT, GENERATED, UID, make_example, moderate_pending


@pytest.fixture
def portal(tmp_path, monkeypatch):
    """A portal's settings as ASHYQ_* variables: database, reports, output with a manifest."""
    database, reports, output = tmp_path / "ashyq.sqlite3", tmp_path / "reports", tmp_path / "out"
    (output / "opendata").mkdir(parents=True)
    (output / "opendata" / "documents.json").write_text(
        json.dumps({"documents": [DOCUMENT]}, ensure_ascii=False), encoding="utf-8")
    content = tmp_path / "content"
    content.mkdir()
    for name, value in (("DATABASE", database), ("REPORTS_DIR", reports), ("OUTPUT", output),
                        ("CONTENT", content), ("CACHE_DIR", tmp_path / "cache"),
                        ("MAIL_OUTBOX", tmp_path / "outbox")):
        monkeypatch.setenv(f"ASHYQ_{name}", str(value))
    key = portal_key.demo(tmp_path / "portal-demo-key")      # the demo key beside the reports
    conn = make_example(database)
    moderate_pending(conn)      # R17 waits for every proposal received in time
    generate_due_reports(conn, [DOCUMENT], GENERATED, reports, key=key)
    conn.close()
    return tmp_path, key


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_reports_list_regenerate_resend(portal):
    tmp_path, _key = portal
    listed = run("reports", "list")
    assert listed.exit_code == 0 and f"{UID} v1" in listed.output and "pending" in listed.output
    refused = run("reports", "regenerate", UID, "--reason", " ")
    assert refused.exit_code == 1 and "--reason" in refused.output
    made = run("reports", "regenerate", UID, "--reason", "corrected head of programme",
               "--no-deliver")
    assert made.exit_code == 0 and "version 2" in made.output
    versions = json.loads((tmp_path / "reports" / UID / "versions.json").read_text("utf-8"))
    assert [v["reason"] for v in versions["versions"]] == [None, "corrected head of programme"]
    listed = run("reports", "list")
    assert f"{UID} v2" in listed.output and "superseded" in listed.output
    # v2 was made without delivery: nothing to resend; a document without a report: refused
    assert run("reports", "resend", UID).exit_code == 1
    assert run("reports", "resend", "NO-SUCH").exit_code == 1


def test_reports_verify_a_downloaded_file(portal, tmp_path):
    _base, key = portal
    folder = tmp_path / "reports" / UID / "v1" / "kk"
    certificate = tmp_path / "portal-certificate.pem"
    certificate.write_bytes(key.certificate_pem())
    for name in ("report.pdf", "report.xlsx"):
        good = run("reports", "verify", str(folder / name), "--certificate", str(certificate))
        assert good.exit_code == 0 and "OK" in good.output and "BAD" not in good.output
    download = tmp_path / "download"
    shutil.copytree(folder, download)
    pdf = bytearray((download / "report.pdf").read_bytes())
    pdf[len(pdf) // 2] ^= 1
    (download / "report.pdf").write_bytes(bytes(pdf))
    bad = run("reports", "verify", str(download / "report.pdf"), "--certificate",
              str(certificate))
    assert bad.exit_code == 1 and "BAD PDF signature" in bad.output
    assert "changed after it was signed" in bad.output
