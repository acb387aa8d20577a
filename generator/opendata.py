"""Open data at ``/opendata/`` (R3; DESIGN.md, boundary 1): the documents under discussion,
their structural parts, published proposals, the state bodies' answers, vote totals and budget
execution figures, each as CSV and JSON, described by a Frictionless Data Package
(``datapackage.json``) and listed on a bilingual page (``index.html``).

Everything comes from the content index and the *public snapshot*; rows are built field by
field from an allow-list, so nothing the snapshot might carry beyond its public fields (a
person, a pending or refused proposal) can reach a file. Pure writers: the same inputs give the
same bytes, the package is dated from the data, never from the clock, and each file is
replaced atomically - the full build (``generator.build``) and the rebuild worker both call
:func:`write_open_data`.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Callable

from ashyq import budget, tabular
from ashyq.clock import ALMATY
from ashyq.doctypes import DOC_TYPES, LANGUAGES
from ashyq.files import atomic_write
from ashyq.i18n import gettext_for
from generator.content import Document, SiteIndex
from generator.manifest import MANIFEST_PATH

log = logging.getLogger(__name__)

OPENDATA_DIR = "opendata"
PACKAGE = "datapackage.json"
PAGE = "index.html"
PACKAGE_NAME = "ashyq-open-budgets"
LICENSE = {"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
           "title": "Creative Commons Attribution 4.0 International"}
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"  # 2026-03-02T12:00:00+05:00, as the snapshot writes


def N_(message: str) -> str:
    """Mark a UI string for the catalogs; translated when written (kk and ru side by side)."""
    return message


# -- tables ------------------------------------------------------------------------------
def _f(name: str, type_: str, description: str, **extra) -> dict:
    return {"name": name, "type": type_, "description": description, **extra}


DOCUMENT = _f("document", "string", N_("Unique number of the document"),
              constraints={"required": True})
PART = _f("part", "string", N_("Identifier of the structural part"),
          constraints={"required": True})
VOTES = (_f("votes_for", "integer", N_("Votes for"), constraints={"minimum": 0}),
         _f("votes_against", "integer", N_("Votes against"), constraints={"minimum": 0}))


@dataclass(frozen=True)
class Table:
    """One dataset, written as ``{name}.csv`` and ``{name}.json`` with one schema."""

    name: str
    title: str  # English msgid; kk and ru in the files
    description: str
    fields: tuple[dict, ...]
    rows: list[dict]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[dict, ...] = ()
    #: The JSON twin; the documents' JSON is the manifest ``documents.json`` (a contract).
    json: bool = True

    @property
    def formats(self) -> tuple[str, ...]:
        return ("csv", "json") if self.json else ("csv",)

    def schema(self, tr) -> dict:
        fields = [{**f, "description": tr(f["description"])} for f in self.fields]
        schema: dict = {"fields": fields}
        if self.primary_key:
            schema["primaryKey"] = list(self.primary_key)
        if self.foreign_keys:
            schema["foreignKeys"] = list(self.foreign_keys)
        return schema


def _fk(fields: list[str], resource: str, reference: list[str]) -> dict:
    return {"fields": fields, "reference": {"resource": resource, "fields": reference}}


def _moment(value: str | None) -> str | None:
    """An ISO date-time from the snapshot, in Almaty time, to the second (None stays None)."""
    if not value:
        return None
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ALMATY)
    return moment.astimezone(ALMATY).isoformat(timespec="seconds")


def _totals(votes: dict | None) -> dict:
    votes = votes or {}
    return {"votes_for": int(votes.get("for", 0)), "votes_against": int(votes.get("against", 0))}


def document_table(index: SiteIndex, snapshot: dict,
                   documents: list[Document] | None = None) -> Table:
    """The documents under discussion (``documents``: those of ``index`` by default)."""
    totals = snapshot.get("documents") or {}
    rows = [row for doc in (index.discussions if documents is None else documents)
            for row in document_rows(index, totals, doc)]
    fields = (
        _f("uid", "string", N_("Unique number of the document"),
           constraints={"required": True, "unique": True}),
        _f("type", "string", N_("Document type: passport or implementation_report"),
           constraints={"enum": ["passport", "implementation_report"]}),
        _f("title_kk", "string", N_("Title in Kazakh")),
        _f("title_ru", "string", N_("Title in Russian")),
        _f("administrator", "string", N_("Code of the budget program administrator")),
        _f("administrator_name_kk", "string", N_("Name of the administrator in Kazakh")),
        _f("administrator_name_ru", "string", N_("Name of the administrator in Russian")),
        _f("program", "string", N_("Budget program code")),
        _f("budget_type", "string", N_("Budget type: republican or local"),
           constraints={"enum": ["republican", "local"]}),
        _f("period", "string", N_("Period covered")),
        _f("posted", "date", N_("Date posted for public discussion")),
        _f("discussion_end", "date", N_("Last day of the public discussion")),
        _f("status", "string",
           N_("Status of the discussion on the data date: scheduled, open or closed"),
           constraints={"enum": ["scheduled", "open", "closed"]}),
        *VOTES,
        _f("url_kk", "string", N_("Page in Kazakh")),
        _f("url_ru", "string", N_("Page in Russian")),
    )
    return Table("documents", N_("Documents under public discussion"),
                 N_("Budget program passports and implementation reports with their discussion "
                    "dates and vote totals"), fields, rows, ("uid",), json=False)


def document_rows(index: SiteIndex, totals: dict, doc: Document) -> list[dict]:
    """``doc``'s row of the documents' table (``totals``: the snapshot's vote totals)."""
    admin = index.administrators[doc.administrator]
    meta = doc.meta[LANGUAGES[0]]
    return [{
        "uid": doc.uid, "type": doc.type,
        **{f"title_{lang}": doc.title(lang) for lang in LANGUAGES},
        "administrator": admin.code,
        **{f"administrator_name_{lang}": admin.name[lang] for lang in LANGUAGES},
        "program": meta["program"], "budget_type": meta["budget_type"],
        "period": meta["period"], "posted": doc.posted.isoformat(),
        "discussion_end": doc.discussion_end.isoformat(), "status": doc.status,
        **_totals(totals.get(doc.uid)),
        **{f"url_{lang}": doc.urls[lang] for lang in LANGUAGES},
    }]


def part_rows(doc: Document) -> list[dict]:
    """``doc``'s rows of the parts' table, in order."""
    return [{"document": doc.uid, "part": part.id, "position": n,
             **{f"title_{lang}": part.title[lang] for lang in LANGUAGES}}
            for n, part in enumerate(doc.parts, 1)]


def part_table(index: SiteIndex, documents: list[Document] | None = None) -> Table:
    rows = [row for doc in (index.discussions if documents is None else documents)
            for row in part_rows(doc)]
    fields = (DOCUMENT, PART,
              _f("position", "integer", N_("Order of the part in the document"),
                 constraints={"minimum": 1}),
              _f("title_kk", "string", N_("Title in Kazakh")),
              _f("title_ru", "string", N_("Title in Russian")))
    return Table("parts", N_("Structural parts of the documents"),
                 N_("The parts of each document that proposals are attached to (R14)"),
                 fields, rows, ("document", "part"),
                 (_fk(["document"], "documents", ["uid"]),))


def public_proposals(index: SiteIndex, snapshot: dict) -> list[dict]:
    """The snapshot's published proposals on parts the site shows, by number."""
    parts: dict = {}  # the parts of the documents proposals are on (not all 120,000)
    shown = []
    for item in snapshot.get("proposals") or []:
        if not item.get("published"):
            continue  # never public: the snapshot holds only published ones anyway
        if (uid := item.get("document")) not in parts:
            doc = index.documents.get(uid)
            parts[uid] = {p.id for p in doc.parts if DOC_TYPES[doc.type].discussion} if doc else ()
        if item.get("part") not in parts[uid]:
            log.warning("open data: proposal %s is on no known part (%s, %s); left out",
                        item.get("id"), item.get("document"), item.get("part"))
            continue
        shown.append(item)
    return sorted(shown, key=lambda item: int(item["id"]))


def proposal_table(proposals: list[dict]) -> Table:
    rows = []
    for item in proposals:
        answer = item.get("answer") or {}
        status = {"accept": "accepted", "reject": "rejected"}.get(answer.get("decision"),
                                                                  "published")
        rows.append({"id": int(item["id"]), "document": item["document"], "part": item["part"],
                     "lang": item.get("lang"), "text": item.get("text") or "",
                     "submitted": _moment(item.get("submitted")),
                     "published": _moment(item.get("published")), "status": status,
                     **_totals(item.get("votes"))})
    fields = (
        _f("id", "integer", N_("Proposal number"), constraints={"required": True, "unique": True}),
        DOCUMENT, PART,
        _f("lang", "string", N_("Language of the proposal: kk or ru"),
           constraints={"enum": list(LANGUAGES)}),
        _f("text", "string", N_("Text of the proposal as published")),
        _f("submitted", "datetime", N_("Submitted at"), format=DATETIME_FORMAT),
        _f("published", "datetime", N_("Published after moderation at"), format=DATETIME_FORMAT),
        _f("status", "string",
           N_("Status: published (waiting for the state body's answer), accepted or rejected"),
           constraints={"enum": ["published", "accepted", "rejected"]}),
        *VOTES,
    )
    return Table("proposals", N_("Published proposals"),
                 N_("Citizens' proposals on the parts of the documents, as published after "
                    "moderation (R14, R15), with their vote totals"), fields, rows, ("id",),
                 (_fk(["document", "part"], "parts", ["document", "part"]),))


def answer_table(proposals: list[dict]) -> Table:
    rows = [{"proposal": int(item["id"]), "document": item["document"],
             "decision": item["answer"]["decision"], "text": item["answer"].get("text") or "",
             "date": _moment(item["answer"].get("date"))}
            for item in proposals if item.get("answer")]
    fields = (
        _f("proposal", "integer", N_("Proposal number"),
           constraints={"required": True, "unique": True}), DOCUMENT,
        _f("decision", "string", N_("Decision of the state body: accept or reject"),
           constraints={"enum": ["accept", "reject"]}),
        _f("text", "string", N_("Justification of the state body")),
        _f("date", "datetime", N_("Answered at"), format=DATETIME_FORMAT),
    )
    return Table("answers", N_("Answers of the state bodies"),
                 N_("The administrators' decisions on published proposals, with their "
                    "justification (R16)"), fields, rows, ("proposal",),
                 (_fk(["proposal"], "proposals", ["id"]),
                  _fk(["document"], "documents", ["uid"])))


def budget_table(index: SiteIndex) -> Table | None:
    """Budget execution (R4) of every period in ``content/reporting/data/*.json`` (the
    datasets ``ashyq.budget`` imports); None when there is none."""
    folder = index.content_dir / budget.DATA_DIR
    rows = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            dataset = budget.load_dataset(path, index.administrators)
        except budget.BudgetFileInvalid as exc:  # the budget pages refuse the build for it
            log.warning("open data: %s left out: %s", path, exc)
            continue
        for row in dataset.rows:
            rows.append({"period": dataset.period, "administrator": row.administrator,
                         "program": row.program, "subprogram": row.subprogram or None,
                         "specific": row.specific or None, "approved_plan": row.approved,
                         "adjusted_plan": row.adjusted, "executed": row.executed,
                         **{f"name_{lang}": row.name.get(lang) or None for lang in LANGUAGES}})
    if not rows:
        return None
    code = {"pattern": "[0-9]{3}"}
    fields = (
        _f("period", "string", N_("Reporting period: YYYY-MM (as of the 1st of that month) or "
                                  "YYYY"), constraints={"required": True}),
        _f("administrator", "string", N_("Code of the budget program administrator"),
           constraints={"required": True, **code}),
        _f("program", "string", N_("Budget program code"), constraints={"required": True, **code}),
        _f("subprogram", "string", N_("Budget subprogram code; empty in a program's total row"),
           constraints=code),
        _f("specific", "string", N_("Specific of the economic classification of expenses; "
                                    "empty in a total row"), constraints=code),
        _f("approved_plan", "number", N_("Approved plan, thousand tenge")),
        _f("adjusted_plan", "number", N_("Adjusted plan, thousand tenge")),
        _f("executed", "number", N_("Executed, thousand tenge")),
        _f("name_kk", "string", N_("Name in Kazakh")),
        _f("name_ru", "string", N_("Name in Russian")),
    )
    return Table("budget_execution", N_("Budget execution"),
                 N_("Approved and adjusted plans and execution by administrator, program, "
                    "subprogram and specific, in thousand tenge, as of each reporting date "
                    "(R4)"), fields, rows,
                 ("period", "administrator", "program", "subprogram", "specific"))


def table_makers(index: SiteIndex, snapshot: dict | None, rows: bool = True,
                 by_document: bool = False) -> list[Callable[[], Table | None]]:
    """What makes each table (None: no such table), to be made one at a time: the rows are
    the largest objects at the end of a build (the documents' and parts' rows of 20,000
    documents, with their files, took the build from 240 to 830 MB at once; issue 10).
    ``rows=False``: the documents' and proposals' tables without their rows (their names
    and formats do not depend on them; making them was half a second of an added document
    at 20,000). ``by_document``: the documents' and parts' tables without their rows, which
    are made document by document (``generator.opendata_rows``)."""
    snapshot = snapshot or {}
    proposals = public_proposals(index, snapshot) if rows else []
    documents = None if rows and not by_document else []
    return [lambda: document_table(index, snapshot, documents),
            lambda: part_table(index, documents),
            lambda: proposal_table(proposals), lambda: answer_table(proposals),
            lambda: budget_table(index)]


def _names(table: Table | None) -> list[str]:
    return [f"{table.name}.{suffix}" for suffix in table.formats] if table else []


# -- serialisation -----------------------------------------------------------------------
def _cell(value) -> str:
    if isinstance(value, Decimal):
        return budget.plain(value)
    return "" if value is None else str(value)


def table_csv(table: Table) -> bytes:
    """RFC 4180 CSV, UTF-8 without BOM, a header row, CRLF line ends."""
    names = [f["name"] for f in table.fields]
    return tabular.csv_bytes([names] + csv_values(names, table.rows))


def csv_values(names: list[str], rows: list[dict]) -> list[list]:
    """The cells of ``rows`` for :func:`ashyq.tabular.csv_text`: formula-leading text is
    escaped there, plain numbers left as they are (issue 13)."""
    return [[v if v.__class__ is str else _cell(v) for v in map(row.__getitem__, names)]
            for row in rows]


def _number(value):
    if isinstance(value, Decimal):
        return budget.json_number(value)
    raise TypeError(f"not JSON: {value!r}")


def json_text(value) -> str:
    """``value`` as the open data's JSON writes it (``generator.opendata_rows`` too)."""
    return json.dumps(value, ensure_ascii=False, default=_number)  # C encoder: no indent


def _json(value) -> bytes:
    return (json_text(value) + "\n").encode("utf-8")


def table_json(table: Table) -> bytes:
    names = [f["name"] for f in table.fields]
    return _json([{name: row[name] for name in names} for row in table.rows])


#: ``gettext(lang)``: ``_(message, **values)`` in one language (the shared catalogs)
gettext = gettext_for


def bilingual(message: str) -> str:
    """"Kazakh / Russian" for the one-language text fields of the Data Package."""
    return " / ".join(gettext(lang)(message) for lang in LANGUAGES)


def data_date(index: SiteIndex, snapshot: dict | None) -> dt.datetime:
    """The moment the data describes: the latest decision in the snapshot, or the build day
    (statuses are computed for it) - never the clock, so a rebuild gives the same bytes."""
    latest = dt.datetime.combine(index.today, dt.time(), ALMATY)
    for item in (snapshot or {}).get("proposals") or []:
        for stamp in (item.get("submitted"), item.get("published"),
                      (item.get("answer") or {}).get("date")):
            if stamp:
                latest = max(latest, dt.datetime.fromisoformat(_moment(stamp)))
    return latest


def _integrity(data: bytes) -> dict:
    return {"bytes": len(data), "hash": "sha256:" + hashlib.sha256(data).hexdigest()}


PACKAGE_TITLE = N_("Open Budgets of Kazakhstan: open data")
PACKAGE_DESCRIPTION = N_(
    "Budget program passports and implementation reports under public discussion, their "
    "structural parts, citizens' published proposals, the state bodies' answers, vote totals "
    "and budget execution figures. No personal data: no names, identity numbers or "
    "unpublished proposals.")
MANIFEST_TITLE = N_("Manifest of the documents under discussion")
MANIFEST_DESCRIPTION = N_(
    "Every passport and report with its parts and discussion window, in the nested form the "
    "submission service checks votes and proposals against")
PACKAGE_FILE_DESCRIPTION = N_("Description of every file: fields, types and keys "
                              "(Frictionless Data Package)")


def package(index: SiteIndex, snapshot: dict | None, found: list[Table],
            files: dict[str, bytes], manifest: bytes | None) -> dict:
    """The Data Package descriptor of the tables ``found``, written as ``files``."""
    resources = []
    if manifest is not None:
        resources.append({
            "name": "documents-manifest", "path": Path(MANIFEST_PATH).name,
            "profile": "data-resource", "title": bilingual(MANIFEST_TITLE),
            "description": bilingual(MANIFEST_DESCRIPTION), "format": "json",
            "mediatype": "application/json", "encoding": "utf-8", **_integrity(manifest)})
    for table in found:
        # frictionless (5.x) reads no table from an empty JSON array: an empty table's JSON
        # twin ("[]") is written and listed, but only its CSV twin is described.
        for suffix in table.formats if table.rows else ("csv",):
            mediatype = {"csv": "text/csv", "json": "application/json"}[suffix]
            path = f"{table.name}.{suffix}"
            resources.append({
                "name": table.name if suffix == "csv" else f"{table.name}-json",
                "path": path, "profile": "tabular-data-resource",
                "title": bilingual(table.title), "description": bilingual(table.description),
                "format": suffix, "mediatype": mediatype, "encoding": "utf-8",
                # frictionless (5.x) cannot count the bytes of a JSON table it reads, so a
                # JSON twin carries no size or hash for it to check; its CSV twin does.
                **(_integrity(files[path]) if suffix == "csv" else {}),
                "schema": table.schema(bilingual)})
    return {
        "profile": "data-package",
        "name": PACKAGE_NAME,
        "title": bilingual(PACKAGE_TITLE),
        "description": "\n\n".join(gettext(lang)(PACKAGE_DESCRIPTION) for lang in LANGUAGES),
        "version": "1.0.0",
        "created": data_date(index, snapshot).isoformat(timespec="seconds"),
        "keywords": ["budget", "Kazakhstan", "open budgets", "бюджет", "Қазақстан"],
        "licenses": [LICENSE],
        "sources": [{"title": "Ashyq — " + bilingual(N_("Open Budgets"))}],
        "resources": resources,
    }


# -- writing -----------------------------------------------------------------------------
def open_data_files(index: SiteIndex, snapshot: dict | None, manifest: bytes | None,
                    others: dict[str, int] | None = None, site: Path | None = None,
                    rows_dir: Path | None = None,
                    made: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """Every file this module writes in ``/opendata/``: name -> bytes. ``manifest``: the
    bytes of ``documents.json``; ``others``: the files of other writers (path -> size);
    ``site``: the build directory (its theme files' names, ``ashyq.theme``); ``rows_dir``:
    the rows a build keeps: the documents' and parts' tables are made document by document
    (``generator.opendata_rows``), or were (``made``: their files, not in the answer)."""
    from generator.opendata_page import page
    from generator.opendata_rows import BY_DOCUMENT, table_files, with_first_row

    found, files, given = [], {}, dict(made or {})
    for make in table_makers(index, snapshot, by_document=rows_dir is not None):
        table = make()  # the table with all its rows is gone on return
        if rows_dir is not None and table is not None and table.name in BY_DOCUMENT:
            files.update({} if made else table_files(table, index, snapshot, rows_dir))
            table = with_first_row(table, index, snapshot)
        else:
            table = _written(table, files)
        if table is not None:
            found.append(table)
    files.update(given)  # (the descriptor and the page describe them too)
    descriptor = package(index, snapshot, found, files, manifest)
    files[PACKAGE] = _json(descriptor)
    files[PAGE] = page(descriptor, found, files, manifest, others or {}, site)
    return {name: data for name, data in files.items() if name not in given}


def _written(table: Table | None, files: dict[str, bytes]) -> Table | None:
    """Add ``table``'s files to ``files``; return it with its first row only (asked for)."""
    if table is None:
        return None
    files[f"{table.name}.csv"] = table_csv(table)
    if table.json:
        files[f"{table.name}.json"] = table_json(table)
    return dataclasses.replace(table, rows=table.rows[:1])


def open_data_names(index: SiteIndex, snapshot: dict | None) -> list[str]:
    """The names of the files :func:`open_data_files` makes, without writing them (nor
    making the rows of the tables whose names do not depend on them)."""
    return [name for make in table_makers(index, snapshot, rows=False)
            for name in _names(make())] + [PACKAGE, PAGE]


def write_open_data(build_dir: Path, index: SiteIndex, snapshot: dict | None,
                    generated: dt.datetime | None = None) -> dict[str, Path]:
    """Write ``/opendata/`` into ``build_dir`` (beside the manifest the site wrote there).

    ``snapshot`` is the whole public snapshot (``submit_api.public.public_snapshot``), not
    one document's. ``generated`` is when the caller took it: only logged - the files are
    dated from the data (:func:`data_date`): the same state gives the same bytes. Returns the
    files by name."""
    folder = Path(build_dir) / OPENDATA_DIR
    folder.mkdir(parents=True, exist_ok=True)
    manifest_file = Path(build_dir) / MANIFEST_PATH
    manifest = manifest_file.read_bytes() if manifest_file.exists() else None
    others = {p.relative_to(folder).as_posix(): p.stat().st_size
              for p in folder.glob("*/**/*") if p.is_file() and not p.name.startswith(".")}
    written = {}
    files = open_data_files(index, snapshot, manifest, others, Path(build_dir))
    for name, data in files.items():
        atomic_write(folder / name, data, unchanged_ok=True)
        written[name] = folder / name
    log.debug("open data: %d files in %s (snapshot of %s)", len(files), folder,
              generated.isoformat() if generated else "unknown time")
    return written
