"""The files of a final report (R17, Annex 1/2), per language: CSV, XLSX, PDF, and the data as JSON.

Layout: ``<dest>/<lang>/report.{csv,xlsx,pdf,json}``. Every format shows the same thing, built
once per language by :func:`report_view`: the annex title, the document's name, the 13 header
fields with the form's labels, an informative note (received / refused / pending, version) and
the 7-column table. Dates are formatted by Babel (:mod:`ashyq.i18n`); the workbook keeps them as
real dates. CSV and XLSX go through :mod:`ashyq.tabular` (formula-leading text stays inert text,
issue 13); the PDF is written by :mod:`submit_api.reports.pdf` (chosen by measurement, see
docs/benchmarks.md). The same data gives the same bytes for every format: no clock is read.
"""
from __future__ import annotations

import datetime as dt
import os
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ashyq import annex as annex_labels
from ashyq import tabular
from ashyq.annex import Annex, annex
from ashyq.doctypes import LANGUAGES
from ashyq.i18n import date_long, date_short
from submit_api.reports import pdf
from submit_api.reports.data import canonical_json

FILE_NAMES = ("report.csv", "report.xlsx", "report.pdf", "report.json")
DATE_KEYS = ("posted", "discussion_end", "generated")


@dataclass(frozen=True)
class ReportView:
    """One language's report as labels and display values, shared by every format."""

    lang: str
    annex: Annex
    uid: str
    version: int
    generated: dt.date
    title: str                                   # of the annex form
    document_title: str
    header: list[tuple[str, str, str | int]]     # (key, label, value)
    note_heading: str
    note: list[tuple[str, int]]                  # (label, number)
    columns: list[str]
    rows: list[tuple]                            # (no, posted, part, text, answer, for, against)
    header_dates: dict[str, dt.date]             # the date fields as dates (for the XLSX)
    row_dates: list[dt.date | None]              # column 2 as dates
    no_answer: str


@lru_cache(maxsize=4096)
def _long(day: str | None, lang: str) -> str:
    return date_long(dt.date.fromisoformat(day), lang) if day else ""


@lru_cache(maxsize=4096)
def _short(day: str | None, lang: str) -> str:
    return date_short(dt.date.fromisoformat(day), lang) if day else ""


@lru_cache(maxsize=4096)
def _date(day: str | None) -> dt.date | None:
    return dt.date.fromisoformat(day) if day else None


def answer_text(answer: dict | None, lang: str) -> str:
    """Column 5: the decision, its date and the justification, or "no answer yet" (R16, R17)."""
    if answer is None:
        return annex_labels.text("no_answer", lang)
    decision = annex_labels.label("decision", answer["decision"], lang)
    when = f" ({_short(answer.get('date'), lang)})" if answer.get("date") else ""
    return f"{decision}{when}: {answer['text']}" if answer.get("text") else f"{decision}{when}"


def header_value(key: str, header: dict, lang: str) -> str | int:
    value = header[key]
    if key in DATE_KEYS:
        return _long(value, lang)
    if key == "budget_type":
        return annex_labels.label("budget_type", value, lang) if value else ""
    if key == "administrator":
        name = value["name"][lang]
        return f"{value['code']} — {name}" if name else value["code"]
    if key == "head":
        return value[lang]
    return value


def report_view(data: dict, lang: str) -> ReportView:
    form = annex(data["type"])
    header = data["header"]
    counts = dict(data["note"], version=data["version"])
    rows = [(r["no"], _short(r["posted"], lang), r["part"]["title"][lang], r["text"],
             answer_text(r["answer"], lang), r["for"], r["against"]) for r in data["rows"]]
    return ReportView(
        lang=lang, annex=form, uid=data["uid"], version=data["version"],
        generated=dt.date.fromisoformat(header["generated"]),
        title=form.title[lang], document_title=data["title"][lang],
        header=[(key, label, header_value(key, header, lang))
                for key, label in form.field_labels(lang)],
        note_heading=annex_labels.label("note", "heading", lang),
        note=[(annex_labels.label("note", key, lang), counts[key])
              for key in ("received", "refused", "pending", "version")],
        columns=form.column_labels(lang),
        rows=rows,
        header_dates={key: dt.date.fromisoformat(header[key]) for key in DATE_KEYS},
        row_dates=[_date(r["posted"]) for r in data["rows"]],
        no_answer=annex_labels.text("no_answer", lang),
    )


# --- CSV ---------------------------------------------------------------------------------------

def write_csv(view: ReportView, path: Path) -> None:
    """UTF-8 with a BOM (so Excel reads Cyrillic), the header block, then the 7-column table;
    formula-leading text escaped (:mod:`ashyq.tabular`, issue 13)."""
    rows: list[list] = [[view.title], [view.document_title], []]
    rows += [[label, value] for _key, label, value in view.header]
    rows += [[], [view.note_heading], *view.note, [], view.columns, *view.rows]
    path.write_bytes(tabular.csv_bytes(rows, bom=True))


# --- XLSX --------------------------------------------------------------------------------------

COLUMN_WIDTHS = (6, 12, 24, 60, 50, 13, 13)
ROW_STYLES = ("number", "number", "cell", "cell", "cell", "number", "number")


def xlsx_sheet(view: ReportView) -> tabular.Sheet:
    """The form as a sheet: real dates (dd.mm.yyyy), text cells never formulas."""
    sheet = tabular.Sheet(view.uid[:31], widths=COLUMN_WIDTHS)
    sheet.append([f"{view.annex.name[view.lang]}. {annex_labels.text('form', view.lang)}"],
                 "right")
    sheet.append([view.title], "title", height=32)
    hint = annex_labels.label("form", "document_name", view.lang)
    sheet.append([f"«{view.document_title}» ({hint})"], "centered")
    for row in (1, 2, 3):
        sheet.merge(row, 1, 7)
    sheet.append([])

    def pair(label: str, value) -> None:
        row = sheet.append([label, None, None, None, value],
                           ("wrap", "plain", "plain", "plain", "wrap_left"))
        sheet.merge(row, 1, 4)
        sheet.merge(row, 5, 7)

    for key, label, value in view.header:
        pair(f"{label}:", view.header_dates.get(key, value))
    sheet.append([])
    sheet.append([view.note_heading], "italic")
    for label, value in view.note:
        pair(label, value)
    sheet.append([])
    first = sheet.append(view.columns, "head", height=45)
    sheet.append(list(range(1, 8)), "head")
    sheet.freeze_rows = first + 1
    sheet.print_title_rows = (first, first + 1)
    for values, day in zip(view.rows, view.row_dates):
        sheet.append((values[0], day, *values[2:]), ROW_STYLES)
    return sheet


def write_xlsx(view: ReportView, path: Path) -> None:
    """A workbook with the header fields and a bordered, wrapped table; repeatable bytes."""
    path.write_bytes(tabular.xlsx_bytes(
        xlsx_sheet(view), title=f"{view.uid}: {view.title}", language=view.lang,
        created=dt.datetime.combine(view.generated, dt.time())))


# --- PDF ---------------------------------------------------------------------------------------

MARGIN_TOP, MARGIN_BOTTOM, MARGIN_SIDE = 12 * pdf.MM, 14 * pdf.MM, 10 * pdf.MM
COLUMN_SHARES = (4, 8, 13, 32, 27, 8, 8)
CENTRED = (True, True, False, False, False, True, True)
BODY, SMALL, PAD_X, PAD_Y = 8.5, 7.5, 3.0, 2.0


def pdf_bytes(view: ReportView) -> bytes:
    """The form as a PDF: A4 landscape, the 13 fields in order, the 7 numbered columns, the
    column headers repeated on every page, "uid · vN" and "page / pages" at the foot."""
    created = view.generated.strftime("D:%Y%m%d000000+05'00'")
    doc = pdf.Document(title=f"{view.uid}: {view.title}", lang=view.lang, created=created)
    regular = doc.fonts["regular"]
    bold = doc.fonts["bold"]
    left, width = MARGIN_SIDE, doc.width - 2 * MARGIN_SIDE
    bottom = doc.height - MARGIN_BOTTOM
    page = doc.new_page()
    top = MARGIN_TOP

    # the annex block, top right, then the title and the document's name
    rules = annex_labels.label("form", "rules", view.lang)
    name = view.annex.name[view.lang]
    block_x, block_w = left + 0.62 * width, 0.38 * width
    for text in ((name, rules) if view.lang == "ru" else (rules, name)) + (
            annex_labels.text("form", view.lang),):
        lines = regular.wrap(text, SMALL, block_w)
        doc.text(page, lines, block_x, top, SMALL, align="center", width=block_w)
        top += len(lines) * SMALL * 1.25 + 2
    top += 8
    for text, size, font, gray in (
            (view.title, 11, "bold", 0), (f"«{view.document_title}»", 10, "regular", 0),
            (f"({annex_labels.label('form', 'document_name', view.lang)})", 7, "regular", 0.27)):
        lines = doc.fonts[font].wrap(text, size, width)
        doc.text(page, lines, left, top, size, font, align="center", width=width, gray=gray)
        top += len(lines) * size * 1.25 + 2
    top += 6

    # the 13 fields
    label_w = 0.42 * width
    for _key, label, value in view.header:
        labels = regular.wrap(f"{label}:", BODY, label_w - 6)
        values = bold.wrap(str(value), BODY, width - label_w)
        doc.text(page, labels, left, top, BODY)
        doc.text(page, values, left + label_w, top, BODY, "bold")
        top += max(len(labels), len(values)) * BODY * 1.25 + 1.6
    note = f"{view.note_heading}: " + "; ".join(f"{label}: {value}" for label, value in view.note)
    lines = regular.wrap(note + ".", SMALL, width)
    top += 4
    doc.text(page, lines, left, top, SMALL, gray=0.2)
    top += len(lines) * SMALL * 1.25 + 8

    # the table
    total = sum(COLUMN_SHARES)
    widths = [width * share / total for share in COLUMN_SHARES]
    xs = [left]
    for w in widths:
        xs.append(xs[-1] + w)
    head_lines = [bold.wrap(label, SMALL, w - 2 * PAD_X) for label, w in zip(view.columns, widths)]
    head_h = max(map(len, head_lines)) * SMALL * 1.25 + 2 * PAD_Y
    numbers_h = SMALL * 1.25 + 2 * PAD_Y
    leading = BODY * 1.25
    no_answer = view.no_answer
    marks: list[float] = []           # tops of the rules under each row on the page
    table_top = top

    repeated: list[bytes] = []      # the header's drawing at the top of pages 2, 3 ...

    def header(top: float) -> float:
        marks.extend((top + head_h, top + head_h + numbers_h))
        if top == MARGIN_TOP and repeated:
            page.ops.extend(repeated)
            return top + head_h + numbers_h
        before = len(page.ops)
        for lines, x, w in zip(head_lines, xs, widths):
            room = head_h - 2 * PAD_Y - len(lines) * SMALL * 1.25
            doc.text(page, lines, x + PAD_X, top + PAD_Y + room / 2, SMALL, "bold",
                     align="center", width=w - 2 * PAD_X)
        for n, (x, w) in enumerate(zip(xs, widths), start=1):
            doc.text(page, [str(n)], x, top + head_h + PAD_Y, SMALL, align="center", width=w)
        if top == MARGIN_TOP:
            repeated.extend(page.ops[before:])
        return top + head_h + numbers_h

    def close(top_of_table: float) -> None:
        end = marks[-1]
        segments = [(left, top_of_table, xs[-1], top_of_table)]
        segments += [(left, y, xs[-1], y) for y in marks]
        segments += [(x, top_of_table, x, end) for x in xs]
        doc.rules(page, segments)
        marks.clear()

    top = header(top)
    fresh = None    # the page the table just started on: a row split there
    italic = doc.fonts["italic"]
    short: dict[tuple[str, int], list[str]] = {}     # dates, numbers, part titles repeat
    for row in view.rows:
        cells = []
        for column, (value, w) in enumerate(zip(row, widths)):
            if column in (3, 4):
                font = italic if column == 4 and value == no_answer else regular
                cells.append(font.wrap(value, BODY, w - 2 * PAD_X))
                continue
            lines = short.get((value, column))
            if lines is None:
                lines = short[(value, column)] = regular.wrap(str(value), BODY, w - 2 * PAD_X)
            cells.append(lines)
        done = 0
        height = max(map(len, cells))
        while done < height:
            room = int((bottom - top - 2 * PAD_Y) // leading)
            # a row that does not fit goes to the next page; one taller than a page is split
            if room < height - done and (fresh is not page or room < 1):
                close(table_top)
                page = doc.new_page()
                table_top = MARGIN_TOP
                top = header(MARGIN_TOP)
                fresh = page
                room = int((bottom - top - 2 * PAD_Y) // leading)
            take = min(room, height - done)
            doc.cells(page, top + PAD_Y, BODY, leading, [
                (lines[done:done + take], x + PAD_X, w - 2 * PAD_X, CENTRED[column],
                 "italic" if column == 4 and row[4] == no_answer else "regular")
                for column, (lines, x, w) in enumerate(zip(cells, xs, widths))
                if lines[done:done + take]])
            done += take
            top += take * leading + 2 * PAD_Y
            marks.append(top)
            fresh = None
    close(table_top)

    # the foot of every page
    count = len(doc.pages)
    foot = doc.height - MARGIN_BOTTOM + 14
    for number, each in enumerate(doc.pages, start=1):
        doc.text(each, [f"{view.uid} · v{view.version}"], left, foot, 7, gray=0.33)
        label = f"{number} / {count}"
        doc.text(each, [label], left + width - regular.width(label, 7), foot, 7, gray=0.33)
    return doc.pdf()


def write_pdf(view: ReportView, path: Path) -> None:
    path.write_bytes(pdf_bytes(view))

# --- all of them -------------------------------------------------------------------------------

def data_json(data: dict) -> str:
    """``report.json``: the data in its canonical form (the text its SHA-256 is taken of)."""
    return canonical_json(data) + "\n"


def render_language(data: dict, text: str, lang: str, dest: Path,
                    formats: tuple[str, ...] = FILE_NAMES,
                    sign_pdf: Callable[[bytes], bytes] | None = None) -> dict[str, Path]:
    """One language's files in ``dest/<lang>/``; the PDF signed by ``sign_pdf`` when given."""
    folder = Path(dest) / lang
    folder.mkdir(parents=True, exist_ok=True)
    view = report_view(data, lang)

    def write_signed_pdf(path: Path) -> None:
        body = pdf_bytes(view)
        path.write_bytes(sign_pdf(body) if sign_pdf else body)

    writers = {"report.csv": lambda p: write_csv(view, p),
               "report.xlsx": lambda p: write_xlsx(view, p),
               "report.pdf": write_signed_pdf,
               "report.json": lambda p: p.write_text(text, encoding="utf-8")}
    written = {}
    for name in formats:
        writers[name](folder / name)
        written[f"{lang}/{name}"] = folder / name
    return written


def can_fork() -> bool:
    """Two languages are rendered side by side when it is safe to fork: a POSIX system with
    more than one CPU and a process with no other thread (a fork copies locks held by others)."""
    return hasattr(os, "fork") and (os.cpu_count() or 1) > 1 and threading.active_count() == 1


def render_report(data: dict, dest: Path, langs: tuple[str, ...] = LANGUAGES,
                  formats: tuple[str, ...] = FILE_NAMES,
                  sign_pdf: Callable[[bytes], bytes] | None = None,
                  parallel: bool | None = None) -> dict[str, Path]:
    """Write every format for every language into ``dest/<lang>/``; returns {relpath: path}.

    With ``parallel`` (by default when :func:`can_fork`) the languages after the first are
    rendered by a forked child while this process renders the first: the report takes the time
    of one language on a 2-core machine (docs/benchmarks.md)."""
    text = data_json(data)
    parallel = can_fork() if parallel is None else parallel
    if not parallel or len(langs) < 2:
        written: dict[str, Path] = {}
        for lang in langs:
            written.update(render_language(data, text, lang, dest, formats, sign_pdf))
        return written
    child = os.fork()
    if child == 0:                                  # pragma: no cover (the child's exit code)
        code = 1
        try:
            for lang in langs[1:]:
                render_language(data, text, lang, dest, formats, sign_pdf)
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    try:
        written = render_language(data, text, langs[0], dest, formats, sign_pdf)
    finally:
        _pid, status = os.waitpid(child, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        # an OSError: the store logs it and tries the report again on its next run
        raise ChildProcessError(f"rendering the {', '.join(langs[1:])} report failed "
                                "(see the log)")
    for lang in langs[1:]:
        written.update({f"{lang}/{name}": Path(dest) / lang / name for name in formats})
    return written
