"""The files of a final report (R17, Annex 1/2), per language: CSV, XLSX, PDF, and the data as JSON.

Layout: ``<dest>/<lang>/report.{csv,xlsx,pdf,json}``. Every format shows the same thing, built
once per language by :func:`report_view`: the annex title, the document's name, the 13 header
fields with the form's labels, an informative note (received / refused / pending, version) and
the 7-column table. Dates are formatted by Babel (:mod:`ashyq.i18n`). The same data gives the same
bytes for CSV, XLSX and JSON (the workbook's dates come from the data, its zip entries carry a
fixed time); the PDF's dates come from the data too.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from copy import copy
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ashyq import annex as annex_labels
from ashyq.annex import Annex, annex
from ashyq.doctypes import LANGUAGES
from ashyq.i18n import date_long, date_short
from submit_api.reports.data import canonical_json

TEMPLATES = Path(__file__).parent / "templates"
FILE_NAMES = ("report.csv", "report.xlsx", "report.pdf", "report.json")
#: A plain serif-free font stack that exists on the machines (fonts-noto-core, fonts-dejavu-core)
#: and covers Cyrillic with the Kazakh letters ә ғ қ ң ө ұ ү һ і.
FONT_STACK = '"Noto Sans", "DejaVu Sans", sans-serif'


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


@lru_cache(maxsize=4096)
def _long(day: str | None, lang: str) -> str:
    return date_long(dt.date.fromisoformat(day), lang) if day else ""


@lru_cache(maxsize=4096)
def _short(day: str | None, lang: str) -> str:
    return date_short(dt.date.fromisoformat(day), lang) if day else ""


def answer_text(answer: dict | None, lang: str) -> str:
    """Column 5: the decision, its date and the justification, or "no answer yet" (R16, R17)."""
    if answer is None:
        return annex_labels.text("no_answer", lang)
    decision = annex_labels.label("decision", answer["decision"], lang)
    when = f" ({_short(answer.get('date'), lang)})" if answer.get("date") else ""
    return f"{decision}{when}: {answer['text']}" if answer.get("text") else f"{decision}{when}"


def header_value(key: str, header: dict, lang: str) -> str | int:
    value = header[key]
    if key in ("posted", "discussion_end", "generated"):
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
    )


# --- CSV ---------------------------------------------------------------------------------------

def write_csv(view: ReportView, path: Path) -> None:
    """UTF-8 with a BOM (so Excel reads Cyrillic), the header block, then the 7-column table."""
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow([view.title])
    w.writerow([view.document_title])
    w.writerow([])
    w.writerows([label, value] for _key, label, value in view.header)
    w.writerow([])
    w.writerow([view.note_heading])
    w.writerows(view.note)
    w.writerow([])
    w.writerow(view.columns)
    w.writerows(view.rows)
    path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))


# --- XLSX --------------------------------------------------------------------------------------

COLUMN_WIDTHS = (6, 12, 24, 60, 50, 13, 13)


class _FixedTimeZip(zipfile.ZipFile):
    """A zip whose entries all carry one date-time, so the same workbook gives the same bytes."""

    date_time = (2000, 1, 1, 0, 0, 0)

    def writestr(self, name, data, compress_type=None, compresslevel=None):  # noqa: D102
        if not isinstance(name, zipfile.ZipInfo):
            info = zipfile.ZipInfo(name, date_time=self.date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            name = info
        super().writestr(name, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):  # noqa: D102
        with open(filename, "rb") as src:   # openpyxl writes each sheet through a temp file
            self.writestr(arcname or Path(filename).name, src.read())


def write_xlsx(view: ReportView, path: Path) -> None:
    """A workbook with the header fields and a bordered, wrapped table; repeatable bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, NamedStyle, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook()
    ws = wb.active
    ws.title = view.uid[:31]
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    cell_style = NamedStyle("report_cell", border=box,
                            alignment=Alignment(wrap_text=True, vertical="top"))
    number_style = NamedStyle("report_number", border=box,
                              alignment=Alignment(horizontal="center", vertical="top"))
    head_style = NamedStyle("report_head", border=box, font=Font(bold=True),
                            alignment=Alignment(wrap_text=True, horizontal="center",
                                                vertical="center"))
    for style in (cell_style, number_style, head_style):
        wb.add_named_style(style)
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, width in enumerate(COLUMN_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width

    ws.append([f"{view.annex.name[view.lang]}. {annex_labels.text('form', view.lang)}"])
    ws.append([view.title])
    hint = annex_labels.label("form", "document_name", view.lang)
    ws.append([f"\"{view.document_title}\" ({hint})"])
    ws["A1"].alignment = Alignment(horizontal="right")
    for row in (1, 2, 3):
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=7)
    ws["A2"].font = Font(bold=True, size=12)
    ws["A2"].alignment = Alignment(wrap_text=True, horizontal="center")
    ws["A3"].alignment = Alignment(wrap_text=True, horizontal="center")
    ws.row_dimensions[2].height = 32
    ws.append([])

    def pair(label: str, value) -> None:
        ws.append([label, None, None, None, value])
        row = ws.max_row
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
        ws.merge_cells(start_row=row, start_column=5, end_row=row, end_column=7)
        ws.cell(row, 1).alignment = wrap
        ws.cell(row, 5).alignment = Alignment(wrap_text=True, vertical="top", horizontal="left")

    for _key, label, value in view.header:
        pair(f"{label}:", value)
    ws.append([])
    ws.append([view.note_heading])
    ws.cell(ws.max_row, 1).font = Font(italic=True)
    for label, value in view.note:
        pair(label, value)
    ws.append([])

    ws.append(view.columns)
    first = ws.max_row
    ws.append(list(range(1, 8)))
    for row in (first, first + 1):
        for col in range(1, 8):
            ws.cell(row, col).style = "report_head"
    ws.row_dimensions[first].height = 45
    ws.freeze_panes = ws.cell(first + 2, 1)
    ws.print_title_rows = f"{first}:{first + 1}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True

    styles = ("report_number", "report_cell", "report_cell", "report_cell", "report_cell",
              "report_number", "report_number")
    # the table's cells take their style as a copy of a styled cell's (much faster than by name)
    arrays = []
    for col, style in enumerate(styles, start=1):
        probe = ws.cell(first + 2, col)
        probe.style = style
        arrays.append(probe._style)
    for row, values in enumerate(view.rows, start=first + 2):
        for col, (value, array) in enumerate(zip(values, arrays), start=1):
            ws.cell(row, col, value)._style = copy(array)

    moment = dt.datetime.combine(view.generated, dt.time())
    wb.properties.created = wb.properties.modified = moment
    wb.properties.creator = wb.properties.lastModifiedBy = "Ashyq"
    wb.properties.title = f"{view.uid}: {view.title}"
    wb.properties.language = view.lang
    buffer = io.BytesIO()
    archive = _FixedTimeZip(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    archive.date_time = moment.timetuple()[:6]
    ExcelWriter(wb, archive).save()   # not save_workbook: it stamps "modified" with now
    path.write_bytes(buffer.getvalue())


# --- PDF ---------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _template():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    return env.get_template("report.html")


def report_html(view: ReportView) -> str:
    return _template().render(
        view=view, lang=view.lang, font_stack=FONT_STACK,
        annex_name=view.annex.name[view.lang], form=annex_labels.text("form", view.lang),
        document_name=annex_labels.label("form", "document_name", view.lang),
        form_rules=annex_labels.label("form", "rules", view.lang),
        no_answer=annex_labels.text("no_answer", view.lang))


def write_pdf(view: ReportView, path: Path) -> None:
    """The form as a PDF (WeasyPrint), A4 landscape, with the table header repeated per page."""
    from weasyprint import HTML

    HTML(string=report_html(view), base_url=str(TEMPLATES)).write_pdf(path)


# --- all of them -------------------------------------------------------------------------------

def data_json(data: dict) -> str:
    """``report.json``: the data in its canonical form (the text its SHA-256 is taken of)."""
    return canonical_json(data) + "\n"


def render_report(data: dict, dest: Path, langs: tuple[str, ...] = LANGUAGES,
                  formats: tuple[str, ...] = FILE_NAMES) -> dict[str, Path]:
    """Write every format for every language into ``dest/<lang>/``; returns {relpath: path}."""
    written: dict[str, Path] = {}
    text = data_json(data)
    for lang in langs:
        folder = Path(dest) / lang
        folder.mkdir(parents=True, exist_ok=True)
        view = report_view(data, lang)
        writers = {"report.csv": lambda p: write_csv(view, p),
                   "report.xlsx": lambda p: write_xlsx(view, p),
                   "report.pdf": lambda p: write_pdf(view, p),
                   "report.json": lambda p: p.write_text(text, encoding="utf-8")}
        for name in formats:
            writers[name](folder / name)
            written[f"{lang}/{name}"] = folder / name
    return written
