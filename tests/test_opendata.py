"""Open data at /opendata/ (R3; DESIGN.md, boundary 1): CSV and JSON twins, a Frictionless Data
Package that validates, a bilingual listing page, no personal data, same inputs -> same bytes,
and the rebuild worker's refresh equal to a full build."""
from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from generator.build import build
from generator.content import load_content
from generator.opendata import write_open_data
from tests.helpers import SNAPSHOT

DAY = dt.date(2025, 3, 7)
TABLES = ("parts", "proposals", "answers", "budget_execution")  # with a JSON twin
IIN = re.compile(r"(?<!\d)\d{12}(?!\d)")
#: What a careless snapshot could carry: none of it may reach the open data.
PRIVATE = {"person": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
           "iin": "880101300123", "name": "Сейткали Айгерим", "status": "pending"}
PENDING_TEXT = "Ожидающее модерации предложение с личными данными"
REFUSED_TEXT = "Отклоненный модератором текст"

BUDGET = {
    "format": "ashyq-budget-execution/1", "period": "2026-10", "unit": "thousand KZT",
    "source": {"name": "test.json"},
    "rows": [
        {"administrator": "225", "program": "001", "subprogram": "", "specific": "",
         "approved": 100, "adjusted": 110, "executed": 50.5, "name_kk": "Білім",
         "name_ru": "Образование"},
        {"administrator": "225", "program": "001", "subprogram": "100", "specific": "",
         "approved": 60, "adjusted": 70, "executed": 30.5},
        {"administrator": "225", "program": "001", "subprogram": "101", "specific": "",
         "approved": 40, "adjusted": 40, "executed": 20},
        {"administrator": "261", "program": "002", "subprogram": "", "specific": "",
         "approved": 12.5, "adjusted": 12.5, "executed": 0},
    ],
}


def leaky_snapshot(pending: bool = False) -> dict:
    """The test snapshot with private fields slipped in (and, for the writer alone, a
    proposal that was never published: the site's pages expect none)."""
    snap = copy.deepcopy(SNAPSHOT)
    for item in snap["proposals"]:
        item.update({k: v for k, v in PRIVATE.items() if k != "status"})
    if pending:
        snap["proposals"].append({"id": 9, "document": "BP-2026-225-001", "part": "purpose",
                                  "lang": "ru", "text": PENDING_TEXT, "status": "pending",
                                  "submitted": "2025-03-06T10:00:00+05:00", "published": None,
                                  "answer": None, "votes": {"for": 0, "against": 0}})
    snap["refused"] = [{"id": 10, "text": REFUSED_TEXT, **PRIVATE}]
    snap["documents"]["BP-2026-225-001"]["voters"] = [PRIVATE["person"]]
    return snap


def build_with(content: Path, out: Path, snapshot: dict | None, tmp_path: Path) -> Path:
    path = None
    if snapshot is not None:
        path = tmp_path / f"snapshot-{out.name}.json"
        path.write_text(json.dumps(snapshot, ensure_ascii=False), encoding="utf-8")
    build(content, out, cache_dir=tmp_path / "cache", today=DAY, snapshot=path)
    return out / "opendata"


def add_budget(content: Path) -> None:
    folder = content / "reporting" / "data"
    folder.mkdir(parents=True)
    (folder / "2026-10.json").write_text(json.dumps(BUDGET, ensure_ascii=False), encoding="utf-8")


@pytest.fixture
def opendata(small_content, tmp_path) -> Path:
    add_budget(small_content)
    return build_with(small_content, tmp_path / "out", leaky_snapshot(), tmp_path)


def read_csv(path: Path) -> list[dict]:
    data = path.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")  # UTF-8 without BOM
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def as_cell(value) -> str:
    return "" if value is None else str(value)


def test_r3_every_dataset_as_csv_and_json(opendata):
    names = {p.name for p in opendata.iterdir()}
    assert {"documents.json", "documents.csv", "datapackage.json", "index.html"} <= names
    for table in TABLES:
        assert {f"{table}.csv", f"{table}.json"} <= names, table
    package = json.loads((opendata / "datapackage.json").read_text(encoding="utf-8"))
    for resource in package["resources"]:
        assert (opendata / resource["path"]).exists()
        assert resource["encoding"] == "utf-8" and resource["mediatype"] in (
            "text/csv", "application/json")
    headers = {t: next(csv.reader(io.StringIO((opendata / f"{t}.csv").read_text("utf-8"))))
               for t in TABLES}
    assert headers["budget_execution"][:8] == [
        "period", "administrator", "program", "subprogram", "specific", "approved_plan",
        "adjusted_plan", "executed"]


def test_json_twins_hold_the_csv_rows(opendata):
    for table in TABLES:
        rows = read_csv(opendata / f"{table}.csv")
        records = json.loads((opendata / f"{table}.json").read_text(encoding="utf-8"))
        assert rows and len(rows) == len(records), table
        for row, record in zip(rows, records):
            assert list(row) == list(record), table  # same columns, same order
            assert row == {k: as_cell(v) for k, v in record.items()}, table
    # The documents' JSON is the manifest (a contract): the CSV is its flat form.
    manifest = json.loads((opendata / "documents.json").read_text(encoding="utf-8"))
    docs = read_csv(opendata / "documents.csv")
    assert [d["uid"] for d in docs] == [d["uid"] for d in manifest["documents"]]
    for row, doc in zip(docs, manifest["documents"]):
        assert (row["title_kk"], row["title_ru"], row["status"], row["discussion_end"],
                row["administrator"], row["url_ru"]) == (
            doc["title"]["kk"], doc["title"]["ru"], doc["status"], doc["discussion_end"],
            doc["administrator"]["code"], doc["url"]["ru"])
    parts = read_csv(opendata / "parts.csv")
    assert [(p["document"], p["part"]) for p in parts] == [
        (d["uid"], p["id"]) for d in manifest["documents"] for p in d["parts"]]


def test_proposals_answers_and_vote_totals(opendata):
    docs = {d["uid"]: d for d in read_csv(opendata / "documents.csv")}
    assert (docs["BP-2026-225-001"]["votes_for"], docs["BP-2026-225-001"]["votes_against"]) == (
        "12", "3")
    assert docs["BP-2026-261-002"]["votes_for"] == "0"
    proposals = json.loads((opendata / "proposals.json").read_text(encoding="utf-8"))
    assert [(p["id"], p["part"], p["status"], p["votes_for"]) for p in proposals] == [
        (7, "objectives", "accepted", 5), (8, "purpose", "published", 0)]
    assert proposals[0]["text"] == SNAPSHOT["proposals"][0]["text"]  # as published, unescaped
    assert proposals[0]["published"] == "2025-03-06T09:00:00+05:00"
    answers = json.loads((opendata / "answers.json").read_text(encoding="utf-8"))
    assert answers == [{"proposal": 7, "document": "BP-2026-225-001", "decision": "accept",
                        "text": "Принято, задача будет добавлена.",
                        "date": "2025-03-07T15:00:00+05:00"}]
    budget = json.loads((opendata / "budget_execution.json").read_text(encoding="utf-8"))
    assert budget[0] == {"period": "2026-10", "administrator": "225", "program": "001",
                         "subprogram": None, "specific": None, "approved_plan": 100,
                         "adjusted_plan": 110, "executed": 50.5, "name_kk": "Білім",
                         "name_ru": "Образование"}
    assert len(budget) == 4


def test_data_package_validates_with_frictionless(opendata):
    from frictionless import validate

    report = validate(str(opendata / "datapackage.json"))
    problems = [(task.name, error.message) for task in report.tasks for error in task.errors]
    assert report.valid, problems + [e.message for e in report.errors]
    package = json.loads((opendata / "datapackage.json").read_text(encoding="utf-8"))
    assert package["name"] == "ashyq-open-budgets"
    assert package["licenses"][0]["name"] == "CC-BY-4.0" and package["licenses"][0]["path"]
    assert package["title"] == ("Қазақстанның ашық бюджеттері: ашық деректер / "
                                "Открытые бюджеты Казахстана: открытые данные")
    assert package["created"] == "2025-03-07T15:00:00+05:00"  # the latest answer, not the clock
    schemas = {r["name"]: r["schema"] for r in package["resources"] if "schema" in r}
    assert schemas["documents"]["primaryKey"] == ["uid"]
    assert schemas["proposals"]["foreignKeys"] == [{"fields": ["document", "part"], "reference": {
        "resource": "parts", "fields": ["document", "part"]}}]
    assert {f["name"]: f["type"] for f in schemas["proposals"]["fields"]}["published"] == "datetime"


def test_no_budget_data_no_budget_resource(small_content, tmp_path):
    from frictionless import validate

    opendata = build_with(small_content, tmp_path / "out", None, tmp_path)
    assert not (opendata / "budget_execution.csv").exists()
    assert read_csv(opendata / "proposals.csv") == [] and read_csv(opendata / "answers.csv") == []
    package = json.loads((opendata / "datapackage.json").read_text(encoding="utf-8"))
    assert "budget_execution" not in {r["name"] for r in package["resources"]}
    assert package["created"] == "2025-03-07T00:00:00+05:00"  # the build day
    assert validate(str(opendata / "datapackage.json")).valid


def test_boundary_1_no_personal_data_under_opendata(opendata, small_content, tmp_path):
    # The writer alone, on a snapshot that even holds an unpublished proposal:
    alone = tmp_path / "alone"
    write_open_data(alone, load_content(small_content, DAY), leaky_snapshot(pending=True))
    files = [p for p in opendata.rglob("*") if p.is_file()]
    files += [p for p in (alone / "opendata").rglob("*") if p.is_file()]
    assert len(files) >= 20
    for path in files:
        text = path.read_text(encoding="utf-8")
        for secret in (PRIVATE["person"], PRIVATE["iin"], PRIVATE["name"], PENDING_TEXT,
                       REFUSED_TEXT, '"person"', '"iin"', "voters", "pending"):
            assert secret not in text, (path.name, secret)
        assert not IIN.search(text), path.name
    header = read_csv(opendata / "proposals.csv")[0].keys()
    assert set(header) == {"id", "document", "part", "lang", "text", "submitted", "published",
                           "status", "votes_for", "votes_against"}


def test_same_inputs_same_bytes(small_content, tmp_path):
    add_budget(small_content)
    first = build_with(small_content, tmp_path / "a", leaky_snapshot(), tmp_path)
    second = build_with(small_content, tmp_path / "b", leaky_snapshot(), tmp_path)
    names = sorted(p.relative_to(first).as_posix() for p in first.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(second).as_posix() for p in second.rglob("*")
                           if p.is_file())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_worker_refresh_writes_what_a_full_build_writes(small_content, tmp_path):
    """The rebuild worker calls write_open_data on the live build after a decision."""
    before = copy.deepcopy(SNAPSHOT)
    before["proposals"] = before["proposals"][1:]
    del before["documents"]["BP-2026-225-001"]
    live = build_with(small_content, tmp_path / "live", before, tmp_path)
    assert read_csv(live / "answers.csv") == []
    index = load_content(small_content, DAY)
    write_open_data(live.parent.resolve(), index, SNAPSHOT, dt.datetime(2025, 3, 8, 9, 0))
    fresh = build_with(small_content, tmp_path / "fresh", SNAPSHOT, tmp_path)
    for path in sorted(fresh.iterdir()):
        assert (live / path.name).read_bytes() == path.read_bytes(), path.name
    assert not [p for p in live.iterdir() if p.name.endswith(".tmp")]


def test_listing_page_is_bilingual_valid_and_lists_every_file(opendata):
    html = (opendata / "index.html").read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>\n<html lang=\"kk\">")
    assert "Ашық деректер" in html and '<span lang="ru">Открытые данные</span>' in html
    assert '<p lang="ru">Без персональных данных' in html
    assert 'href="https://creativecommons.org/licenses/by/4.0/"' in html
    assert '<time datetime="2025-03-07T15:00:00+05:00">' in html
    listed = re.findall(r'<td data-label="Файл"><a href="([^"]+)">', html)  # (a card's label)
    on_disk = sorted(p.relative_to(opendata).as_posix() for p in opendata.rglob("*")
                     if p.is_file() and p.name != "index.html")
    assert sorted(listed) == on_disk
    assert "budget-reporting/2026-10.csv" in listed  # the budget pages' files are listed too
    size = (opendata / "parts.csv").stat().st_size
    expected = f"{size}\u00a0Б" if size < 1024 else f"{size / 1024:.1f}\u00a0КБ".replace(".", ",")
    assert re.search(rf'href="parts.csv">parts.csv</a></td>\s*<td data-label="[^"]+">CSV</td>'
                     rf'\s*<td data-label="Көлемі · Размер">{expected}</td>', html)
    check_well_formed(html)


VOID = {"meta", "link", "br", "input", "img", "hr", "source", "wbr", "col", "area", "base"}


def check_well_formed(html: str) -> None:
    """Every element closed, in order; a single <html lang> root; ids unique."""
    class Checker(HTMLParser):
        def __init__(self):
            super().__init__()
            self.stack: list[str] = []
            self.ids: list[str] = []

        def handle_starttag(self, tag, attrs):
            self.ids += [v for k, v in attrs if k == "id"]
            if tag not in VOID:
                self.stack.append(tag)

        def handle_endtag(self, tag):
            assert self.stack and self.stack[-1] == tag, (tag, self.stack[-3:])
            self.stack.pop()

    checker = Checker()
    checker.feed(html)
    checker.close()
    assert checker.stack == [] and len(checker.ids) == len(set(checker.ids))


def test_tables_are_made_and_let_go_one_at_a_time(small_content, monkeypatch):
    """issue 10: the rows of 20,000 documents' tables and their files took the end of a
    build from 240 to 830 MB at once. A table's rows are gone before the next is made, and
    the files are the ones made from all tables at once."""
    import dataclasses
    import gc
    import weakref

    from generator import opendata

    index = load_content(small_content, dt.date(2025, 3, 7))
    expected = {t.name: (opendata.table_csv(t), t.json and opendata.table_json(t))
                for t in [make() for make in opendata.table_makers(index, SNAPSHOT)] if t}
    class Rows(list):  # a list that a weak reference can follow
        pass
    made, alive = [], []
    for name in ("document_table", "part_table"):
        real = getattr(opendata, name)

        def tracked(*args, real=real):
            gc.collect()
            alive.append([ref() is not None for ref in made])
            table = real(*args)
            table = dataclasses.replace(table, rows=Rows(table.rows))
            made.append(weakref.ref(table.rows))
            return table
        monkeypatch.setattr(opendata, name, tracked)
    files = opendata.open_data_files(index, SNAPSHOT, b"{}")
    gc.collect()
    assert alive == [[], [False]] and [ref() for ref in made] == [None, None]
    for name, (csv_bytes, json_bytes) in expected.items():
        assert files[f"{name}.csv"] == csv_bytes
        assert files.get(f"{name}.json", False) == json_bytes


def test_only_proposals_on_parts_the_site_shows_are_published(small_content):
    """A proposal whose document or part the site no longer shows (a part renamed, a
    document taken down) is left out of /opendata/; the parts are looked up only for the
    documents proposals are on (all 120,000 were a tenth of a second of every rebuild)."""
    from generator.opendata import public_proposals

    index = load_content(small_content, dt.date(2025, 3, 7))
    known = SNAPSHOT["proposals"]
    elsewhere = [dict(known[1], id=9, part="no-such-part"),
                 dict(known[1], id=10, document="BP-2026-999-001"),
                 dict(known[1], id=11, document="PR-2025-001", part="purpose"),  # a release
                 dict(known[1], id=12, document="BP-2026-261-002", part="objectives"),
                 dict(known[1], id=13, published=None)]
    found = public_proposals(index, {"proposals": elsewhere[::-1] + known})
    assert [item["id"] for item in found] == [7, 8, 12]


@pytest.mark.parametrize("snapshot", [SNAPSHOT, {}], ids=["proposals", "none"])
def test_the_names_listed_beforehand_are_the_files_made(small_content, snapshot):
    """issue 10: the build lists /opendata/'s files before it makes them, without making the
    documents' and proposals' rows (half a second of an added document at 20,000): the names
    must be those of the files made, budget data or none."""
    import shutil

    from generator import opendata

    for budget in (False, True):
        if budget:
            sample = Path(__file__).parent.parent / "content"
            shutil.copytree(sample / "reporting" / "data", small_content / "reporting" / "data")
            shutil.copy(sample / "administrators.toml", small_content)  # the data's bodies
        index = load_content(small_content, dt.date(2025, 3, 7))
        made = opendata.open_data_files(index, snapshot, b"[]")
        assert opendata.open_data_names(index, snapshot) == list(made)
        assert ("budget_execution.csv" in made) is budget
        assert ("proposals.csv" in made) and made["documents.csv"].count(b"\r\n") == 4


def test_tables_made_document_by_document_are_the_whole_tables(small_content, tmp_path,
                                                               monkeypatch):
    """issue 10: in a build, the documents' and parts' tables are made document by document,
    each document's lines kept for the next build (an added passport at 20,000 made 140,000
    rows again). The files are the bytes of the whole tables, with kept lines too, and a
    document's lines are made again when what they show changes: its vote totals, its
    status on a new day."""
    import copy

    from generator import opendata, opendata_rows
    from generator.rows import rows_folder

    made: list[str] = []
    for name in ("document_rows", "part_rows"):
        real = getattr(opendata_rows, name)

        def counted(*args, real=real, name=name):
            made.append(f"{name}:{args[-1].uid}")
            return real(*args)
        monkeypatch.setattr(opendata_rows, name, counted)
    folder = rows_folder(tmp_path / "cache", "global key")

    def both(day: dt.date, snapshot: dict) -> tuple[dict, dict]:
        index = load_content(small_content, day)
        made.clear()
        kept = opendata.open_data_files(index, snapshot, b"{}", rows_dir=folder)
        return kept, opendata.open_data_files(index, snapshot, b"{}")

    kept, whole = both(DAY, SNAPSHOT)
    assert kept == whole and {"documents.csv", "parts.csv", "parts.json"} <= set(kept)
    assert len(made) >= 2 * 3  # the first time every document's lines (and the first row)
    first = load_content(small_content, DAY).discussions[0].uid  # (its first row is asked)
    kept, whole = both(DAY, SNAPSHOT)
    assert kept == whole and made == [f"document_rows:{first}", f"part_rows:{first}"]
    voted = copy.deepcopy(SNAPSHOT)
    voted["documents"]["BP-2026-261-002"] = {"for": 1, "against": 0}
    kept, whole = both(DAY, voted)
    assert kept == whole and b"local,2026-2028,2025-01-03,2025-01-17,closed,1,0," in \
        kept["documents.csv"] and "document_rows:BP-2026-261-002" in made
    kept, whole = both(dt.date(2025, 3, 20), voted)  # the report's discussion opened
    assert kept == whole and b"2025-03-14,2025-04-02,open," in kept["documents.csv"]
    assert made.count("document_rows:IR-2024-225-001") == 2  # (and the first row)
