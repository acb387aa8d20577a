"""Budget reporting (R4, R8): the file format, whole-file refusal, the archive, the pages with
their accessible charts, the CSV downloads and the ``ashyq import`` command."""
from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from ashyq.budget import (
    BudgetFileInvalid, dataset_path, import_budget_file, parse_budget_file, read_administrators,
)
from portal.cli import main
from generator.charts import Bar, choose_unit, hbar_chart, nice_ticks
from generator.content import ContentInvalid
from tests.helpers import GOOD_CSV, HEADER, xlsx

ADMINS = {"225": {"kk": "Оқу-ағарту министрлігі"}, "261": {"kk": "Білім басқармасы"}}


def refused(data: bytes | str, name: str = "file.csv") -> list:
    with pytest.raises(BudgetFileInvalid) as info:
        parse_budget_file(data.encode("utf-8") if isinstance(data, str) else data, name, ADMINS)
    return info.value.problems




def nothing_written(tmp_path: Path) -> bool:
    return not (tmp_path / "content").exists() and not (tmp_path / "archive").exists()


# -- the format -----------------------------------------------------------------------------
def test_r4_good_csv_is_normalized():
    dataset = parse_budget_file(GOOD_CSV.encode(), "budget.csv", ADMINS)
    assert dataset.period == "2026-10" and len(dataset.rows) == 5
    [admin_225, admin_261] = dataset.administrators()
    assert (admin_225.code, admin_225.adjusted, admin_225.executed) == \
        ("225", Decimal("1920"), Decimal("1356.05"))
    assert admin_225.percent == Decimal("70.6")
    programs = dataset.programs("225")
    assert [p.code for p in programs] == ["001", "040"]
    assert programs[0].name == {"kk": "Білім беру саясаты", "ru": "Политика в сфере образования"}


def test_r4_csv_with_a_bad_row_is_refused_whole_with_row_and_reason(tmp_path):
    bad = GOOD_CSV.replace("2026-10,225,040,,,300,320,150.75", "2026-10,225,040,,,300,-320,15o")
    with pytest.raises(BudgetFileInvalid) as info:
        import_budget_file(bad.encode(), "budget.csv", tmp_path / "content", tmp_path / "archive",
                           ADMINS)
    found = {(p.field, p.code, p.rule) for p in info.value.problems}
    assert found == {("row 5: adjusted", "negative", "R4"), ("row 5: executed", "not_a_number", "R4")}
    assert "row 5: executed: Not a number: 15o. [R4]" in str(info.value)
    assert nothing_written(tmp_path)  # never a part of a file


def test_r4_semicolon_csv_with_decimal_commas_as_excel_exports_it():
    text = ("\ufeffperiod;administrator;program;subprogram;specific;approved;adjusted;executed\r\n"
            "2026-10;225;001;;;1\u00a0500,5;1 600;\"1 205,3\"\r\n"
            "2026-10;261;003;;;900;950,25;700\r\n")
    dataset = parse_budget_file(text.encode("utf-8"), "export.csv", ADMINS)
    row = dataset.rows[0]
    assert (row.approved, row.adjusted, row.executed) == (Decimal("1500.5"), Decimal("1600"),
                                                         Decimal("1205.3"))
    assert dataset.rows[1].adjusted == Decimal("950.25")
    problems = refused(text.replace("950,25", "950,2,5"))
    assert [(p.field, p.code) for p in problems] == [("row 3: adjusted", "not_a_number")]


def test_r4_codes_must_be_digits_of_the_right_length_and_the_period_one():
    bad = HEADER + ("2026-10,22,001,,,1,1,1,,\n"
                    "2026-10,225,1a1,10,,1,1,1,,\n"
                    "2026-11,225,002,,,1,1,1,,\n"
                    "2026-10,225,003,,,,1,1,,\n")
    problems = {(p.field, p.code) for p in refused(bad)}
    assert problems == {("row 2: administrator", "bad_code"), ("row 3: program", "bad_code"),
                        ("row 3: subprogram", "bad_code"), ("row 4: period", "period_mismatch"),
                        ("row 5: approved", "required")}


def test_r4_r8_unknown_administrator_and_duplicate_rows_are_refused():
    bad = GOOD_CSV + "2026-10,999,001,,,1,1,1,,\n" + "2026-10,261,003,,,1,1,1,,\n"
    problems = {(p.field, p.code, p.rule) for p in refused(bad)}
    assert problems == {("row 7: administrator", "unknown_administrator", "R8"),
                        ("row 8", "duplicate", "R4")}
    assert "already in row 6" in str(refused(GOOD_CSV + "2026-10,261,003,,,1,1,1,,\n")[0])


def test_r4_program_total_must_equal_the_sum_of_its_subprograms():
    bad = GOOD_CSV.replace("2026-10,225,001,101,,500,550,405.1", "2026-10,225,001,101,,500,550,405.2")
    [problem] = refused(bad)
    assert (problem.field, problem.code) == ("row 2: executed", "subtotal_mismatch")
    assert "1205.3" in problem.text and "1205.4" in problem.text
    # compared after rounding to 0.1 thousand tenge: 800.24 + 405.1 = 1205.34 ~ 1205.3
    parse_budget_file(GOOD_CSV.replace(",800.2,", ",800.24,").encode(), "ok.csv", ADMINS)


def test_r4_missing_and_unknown_columns_refuse_the_file():
    text = GOOD_CSV.replace("executed,name_kk", "spent,name_kk")
    assert {(p.code, p.field) for p in refused(text)} == {("unknown_column", "row 1: spent"),
                                                          ("missing_column", "row 1: executed")}
    assert refused(HEADER)[0].code == "empty"
    assert refused(b"\xff\xfe not utf-8")[0].code == "encoding"


def test_r4_xlsx_with_a_bad_row_is_refused_with_its_row_number(tmp_path):
    header = HEADER.strip().split(",")
    rows = [header, ["2026-10", 225, 1, None, None, 1500.5, 1600, 1205.3, "Бағдарлама", "Программа"],
            ["2026-10", "261", "003", None, None, 900, "950,5", -1, None, None]]
    with pytest.raises(BudgetFileInvalid) as info:
        import_budget_file(xlsx(rows), "export.xlsx", tmp_path / "content", tmp_path / "archive",
                           ADMINS)
    assert [(p.field, p.code) for p in info.value.problems] == [("row 3: executed", "negative")]
    assert nothing_written(tmp_path)
    rows[2][7] = "700,25"
    dataset = parse_budget_file(xlsx(rows), "export.xlsx", ADMINS)
    assert dataset.rows[0].program == "001"  # Excel dropped the leading zeros of a number
    assert (dataset.rows[1].adjusted, dataset.rows[1].executed) == (Decimal("950.5"),
                                                                    Decimal("700.25"))
    assert refused(b"PK\x03\x04 broken", "x.xlsx")[0].code == "unreadable"


def test_r4_xlsx_too_large_once_unpacked_is_refused_before_reading(monkeypatch):
    from ashyq.budget import readers
    monkeypatch.setattr(readers, "MAX_XLSX_UNPACKED", 2000)
    assert refused(xlsx([HEADER.strip().split(",")]), "x.xlsx")[0].code == "too_large"


def test_r4_json_with_a_bad_row_is_refused_with_its_row_number(tmp_path):
    doc = {"period": "2026-10", "rows": [
        {"administrator": "225", "program": "001", "approved": 1, "adjusted": 2, "executed": 1.5},
        {"administrator": "225", "program": "002", "approved": "1,5", "adjusted": 2,
         "executed": 1, "period": "2026-09"},
        {"administrator": "261", "program": "003", "subprogram": "", "approved": 1,
         "adjusted": 2}]}
    with pytest.raises(BudgetFileInvalid) as info:
        import_budget_file(json.dumps(doc).encode(), "feed.json", tmp_path / "content",
                           tmp_path / "archive", ADMINS)
    assert {(p.field, p.code) for p in info.value.problems} == {
        ("row 2: period", "period_mismatch"), ("row 3: executed", "required")}
    assert nothing_written(tmp_path)
    doc["rows"][1]["period"] = "2026-10"
    doc["rows"][2]["executed"] = 0
    dataset = parse_budget_file(json.dumps(doc).encode(), "feed.json", ADMINS)
    assert dataset.rows[1].approved == Decimal("1.5")
    assert refused('{"rows": 1}', "x.json")[0].code == "bad_shape"
    assert refused('{"period": "2026-13", "rows": [{}]}', "x.json")[0].code == "bad_period"


# -- storage and provenance -------------------------------------------------------------------
def test_r4_archive_keeps_the_file_byte_for_byte_and_the_dataset_goes_to_content(tmp_path):
    data = ("\ufeff" + GOOD_CSV.replace(",", ";").replace("1205.3", "1205,3")).encode("utf-8")
    data = data.replace(b"\n", b"\r\n")
    result = import_budget_file(data, "Отчет 10/2026.csv", tmp_path / "content",
                                tmp_path / "archive", ADMINS)
    assert result.archive_path.read_bytes() == data
    assert re.fullmatch(rf"\d{{8}}T\d{{6}}Z-{result.sha256[:12]}-2026.csv", result.archive_path.name)
    assert result.dataset_path == dataset_path(tmp_path / "content", "2026-10")
    stored = json.loads(result.dataset_path.read_text(encoding="utf-8"))
    assert stored["period"] == "2026-10" and len(stored["rows"]) == 5
    assert stored["source"]["sha256"] == result.sha256 and stored["source"]["name"] == "Отчет 10/2026.csv"
    assert not result.replaced and (result.rows, result.administrators) == (5, 2)
    assert sorted(p.name for p in result.dataset_path.parent.iterdir()) == ["2026-10.json"]
    again = import_budget_file(GOOD_CSV.encode(), "second.csv", tmp_path / "content",
                               tmp_path / "archive", ADMINS)
    assert again.replaced and len(list((tmp_path / "archive").iterdir())) == 2
    # the normalized dataset is itself a valid input file
    assert parse_budget_file(again.dataset_path.read_bytes(), "x.json", ADMINS).rows == again.dataset.rows


# -- charts --------------------------------------------------------------------------------------
def test_chart_scale_and_escaping():
    assert nice_ticks(Decimal("4902.7")) == [0, 2000, 4000, 6000]
    assert choose_unit(Decimal("4902700000")) == ("billion", Decimal(10) ** 6)
    assert choose_unit(Decimal("5")) == ("thousand", Decimal(1))
    svg = hbar_chart([Bar("<b>A & B</b>", Decimal(10), Decimal(12), "120 %")], chart_id="c",
                     title="T <x>", desc="D", axis_label="unit", plan_label="plan",
                     value_label="done", number=str)
    assert 'role="img" class="chart chart-wide" aria-labelledby="c-title c-desc"' in svg
    assert 'class="chart chart-narrow" aria-labelledby="c-narrow-title c-narrow-desc"' in svg
    assert "&lt;b&gt;A &amp; B&lt;/b&gt;" in svg and "<title id=\"c-title\">T &lt;x&gt;</title>" in svg
    assert "<script" not in svg and "style=" not in svg


def test_charts_are_sorted_and_readable_on_a_phone():
    """Issue 14: bars largest first; the phone drawing, scaled into a 360 px screen's column
    (328 px), keeps its text at 12 px or more; labels are wrapped, not cut."""
    from generator.charts import NARROW, value_chart
    long = "Управление здравоохранения и социальной защиты населения города республиканского значения"
    svg = value_chart([("small", Decimal(1)), (long, Decimal(30)), ("mid", Decimal(5))],
                      chart_id="v", title="t", desc="d", number=str)
    narrow = svg.split('class="chart chart-narrow"', 1)[1]
    labels = re.findall(r"<tspan[^>]*>([^<]+)</tspan>", narrow)
    assert labels[-2:] == ["mid", "small"] and " ".join(labels[:-2]) == long
    assert NARROW.font * 328 / NARROW.width >= 12
    assert f'width="{NARROW.width}"' in narrow and f'font-size="{NARROW.font}"' in narrow


# -- pages (a real build) ------------------------------------------------------------------------
def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def test_r4_imported_data_appears_as_pages_with_charts_tables_and_csv(small_content, build_site):
    result = import_budget_file(GOOD_CSV.encode(), "budget.csv", small_content,
                                small_content.parent / "archive", read_administrators(small_content))
    site = build_site(small_content)
    for lang, admin_name, words in (("kk", "Оқу-ағарту министрлігі", ("Нақтыланған жоспар", "Барлығы")),
                                    ("ru", "Министерство просвещения", ("Уточненный план", "Итого"))):
        base = site / lang / "reporting/data/2026-10"
        html = (base / "index.html").read_text(encoding="utf-8")
        assert f'<html lang="{lang}">' in html and admin_name in html
        assert all(w in html for w in words) and "Adjusted plan" not in html
        svg = re.search(r"<svg[^>]*>.*?</svg>", html, re.S).group(0)
        assert 'role="img"' in svg and 'aria-labelledby="chart-admins-title chart-admins-desc"' in svg
        assert re.search(r'<title id="chart-admins-title">[^<]+</title>', svg)
        assert re.search(r'<desc id="chart-admins-desc">[^<]{40,}</desc>', svg)
        assert "<table" in html.split("</svg>", 1)[1]  # the data table beside the chart
        assert "<script" not in html.split("</footer>")[0] and "style=" not in html
        assert len(html.encode()) + (site / "theme/css/site.css").stat().st_size < 60_000
        assert f'href="/{lang}/reporting/data/2026-10/225/"' in html or 'href="225/"' in html
        # the CSV download parses back to the table's numbers
        rows = read_csv(base / "data.csv")
        assert [r[0] for r in rows[1:]] == ["225", "261", ""]
        for row, admin in zip(rows[1:], result.dataset.administrators()):
            assert [Decimal(v) for v in row[2:5]] == [admin.approved, admin.adjusted, admin.executed]
        assert Decimal(rows[-1][4]) == result.dataset.total().executed
        programs = read_csv(base / "225" / "data.csv")
        assert [(r[0], Decimal(r[4])) for r in programs[1:-1]] == [("001", Decimal("1205.3")),
                                                                    ("040", Decimal("150.75"))]
        admin_page = (base / "225" / "index.html").read_text(encoding="utf-8")
        assert 'role="img"' in admin_page and "<desc" in admin_page and "<table" in admin_page
        listing = (site / lang / "reporting/data/index.html").read_text(encoding="utf-8")
        assert 'href="2026-10/"' in listing
    whole = (site / "opendata/budget-reporting/2026-10.csv").read_bytes()
    assert parse_budget_file(whole, "x.csv", ADMINS).rows == result.dataset.rows


def test_r4_a_broken_dataset_in_the_content_refuses_the_build(small_content, build_site):
    folder = small_content / "reporting" / "data"
    folder.mkdir(parents=True)
    (folder / "2026-10.json").write_text(json.dumps({"period": "2026-10", "rows": [
        {"administrator": "225", "program": "001", "approved": 1, "adjusted": 1,
         "executed": -1}]}), encoding="utf-8")
    with pytest.raises(ContentInvalid, match=r"2026-10.json: row 1: executed: Must not be negative"):
        build_site(small_content)


# -- the command ---------------------------------------------------------------------------------
def test_r4_import_command_prints_problems_or_imports_and_builds(small_content, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(GOOD_CSV.replace(",900,950,700,", ",900,950,x,"), encoding="utf-8")
    args = ["--content", str(small_content), "--archive", str(tmp_path / "archive")]
    result = CliRunner().invoke(main, ["import", str(bad), *args, "--no-build"])
    assert result.exit_code == 1
    assert "row 6: executed: Not a number: x. [R4]" in result.output
    assert not (small_content / "reporting").exists() and not (tmp_path / "archive").exists()
    good = tmp_path / "good.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    result = CliRunner().invoke(main, ["import", str(good), *args, "--out", str(tmp_path / "site"),
                                       "--database", str(tmp_path / "none.sqlite3")])
    assert result.exit_code == 0, result.output
    assert "imported 2026-10: 5 rows of 2 administrators" in result.output and "built" in result.output
    assert (tmp_path / "site/ru/reporting/data/2026-10/261/index.html").exists()
