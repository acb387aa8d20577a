"""Pelican plugin: budget execution data pages with charts (R4), in each language.

Reads the datasets ``content/reporting/data/<period>.json`` (written by
:func:`ashyq.budget.import_budget_file`, checked again here: they are content) and writes

- ``/{lang}/reporting/data/``: every period, newest first;
- ``/{lang}/reporting/data/<period>/``: execution by state body, a bar chart and its table,
  ``data.csv`` beside it;
- ``/{lang}/reporting/data/<period>/<code>/``: one state body's programs, chart, table,
  ``data.csv``;
- once (main language): ``/opendata/budget-reporting/<period>.json`` and ``.csv``, the whole
  dataset in the import format.
"""
from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from babel.numbers import format_decimal
import generator.pelican_logging  # noqa: F401 - before Pelican's first import
from pelican import signals
from pelican.generators import Generator

from ashyq import tabular
from ashyq.budget import DATA_DIR, BudgetFileInvalid, Dataset, Totals, load_dataset, plain
from ashyq.doctypes import DEFAULT_LANGUAGE, LANGUAGES
from ashyq.i18n import date_long, date_short, translations
from generator.charts import Bar, choose_unit, hbar_chart
from generator.content import ContentInvalid, Problem, SiteIndex
from generator.listing import page_name
from generator.opendata import OPENDATA_DIR
from generator.render import render_path
from generator.site import NAV_SECTIONS, locale_dir, page_spec, site_index

log = logging.getLogger(__name__)

SECTION = "reporting/data/"
OPENDATA = f"{OPENDATA_DIR}/budget-reporting"
CSV_NAME = "data.csv"
KEYS = ("budget", "index")  # the datasets; state bodies and reports (generator.deps)
MAX_CHART_BARS = 30  # a longer table keeps every row; the chart shows the largest plans


def load_datasets(index: SiteIndex) -> dict[str, Dataset]:
    """Every dataset of the content, newest period first; refuse the build on any problem."""
    folder = index.content_dir / DATA_DIR
    datasets, problems = {}, []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            dataset = load_dataset(path, index.administrators)
        except BudgetFileInvalid as exc:
            problems += [Problem(str(path), p.field, p.rule, p.text) for p in exc.problems]
            continue
        datasets[dataset.period] = dataset
    if problems:
        raise ContentInvalid(problems)
    return dict(sorted(datasets.items(), reverse=True))


def amount(value: Decimal | None, lang: str) -> str:
    """Thousand tenge as people read them: ``4 902 700 000,0``."""
    return "—" if value is None else format_decimal(value, "#,##0.0", locale=lang)


def percent(value: Decimal | None, lang: str) -> str:
    return "—" if value is None else format_decimal(value, "0.0", locale=lang) + " %"


def received(dataset: Dataset) -> dt.date | None:
    """The day the file of ``dataset`` was received (UTC), if recorded."""
    try:
        return dt.date.fromisoformat(str(dataset.source.get("received", ""))[:10])
    except ValueError:
        return None


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    """UTF-8 with a BOM (Excel reads Cyrillic), CRLF, dot decimals: as the final reports."""
    return tabular.csv_bytes([header, *rows], bom=True)   # formulas escaped (issue 13)


class BudgetPagesGenerator(Generator):
    """Writes the budget execution pages of one language (R4)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lang = self.settings["DEFAULT_LANG"]
        self.env.filters.update(date_long=date_long, date_short=date_short, amount=amount,
                                percent=percent)
        self.env.globals.update(LANGUAGES=LANGUAGES, NAV_SECTIONS=NAV_SECTIONS)

    def generate_context(self) -> None:
        self.index = site_index(self.settings)
        self.datasets = load_datasets(self.index)
        self.gettext = translations(str(locale_dir(self.settings)), self.lang).gettext

    # -- helpers -------------------------------------------------------------------------
    def _write(self, sink, path: str, template: str, **values) -> None:
        """Emit a page; its values are computed when it is rendered (``values`` holds
        functions for the costly ones)."""
        def make() -> str:
            ready = {k: v() if callable(v) else v for k, v in values.items()}
            _n, name, ready = page_spec(self.lang, self.index, path, template, **ready)
            return self.get_template(name).render({**self.context, **ready})
        sink.emit(page_name(self.lang, path), KEYS, make)

    def _write_file(self, sink, path: str, make) -> None:
        # made with the open data's page, which lists it with its size (generator.listing)
        sink.emit(path, KEYS, make,
                  together=OPENDATA_DIR if path.startswith(OPENDATA_DIR + "/") else "")

    def admin_name(self, code: str) -> str:
        admin = self.index.administrators.get(code)
        return admin.name[self.lang] if admin else code

    def program_name(self, item: Totals) -> str:
        _ = self.gettext
        return item.name.get(self.lang) or _("Program %(code)s") % {"code": item.code}

    def report_of(self, period: str):
        """The budget reporting document (Markdown) of the same period, if any."""
        return next((d for d in self.index.of_type("budget_reporting")
                     if d.meta[self.lang].get("period") == period), None)

    def chart(self, chart_id: str, items: list[tuple[str, Totals]], what: str) -> dict:
        """The chart of ``items`` (label, totals) and the words that describe it."""
        _, lang = self.gettext, self.lang
        shown = sorted(items, key=lambda i: -i[1].adjusted)[:MAX_CHART_BARS]
        top = max([max(t.adjusted, t.executed) for _l, t in shown] or [Decimal(0)])
        unit_key, divisor = choose_unit(top)
        unit = {"billion": _("billion tenge"), "million": _("million tenge"),
                "thousand": _("thousand tenge")}[unit_key]
        bars = [Bar(label, t.adjusted / divisor, t.executed / divisor, percent(t.percent, lang))
                for label, t in shown]
        rated = [(label, t) for label, t in items if t.percent is not None]
        if what == "administrators":
            title = _("Executed and adjusted plan by state body, %(unit)s") % {"unit": unit}
            kind = _("Horizontal bar chart of %(count)s state bodies.") % {"count": len(shown)}
        else:
            title = _("Executed and adjusted plan by budget program, %(unit)s") % {"unit": unit}
            kind = _("Horizontal bar chart of %(count)s budget programs.") % {"count": len(shown)}
        desc = [kind, _("For each, the outlined bar is the adjusted plan for the year and the "
                        "solid bar below it the amount executed, with the share executed.")]
        if rated:
            high = max(rated, key=lambda i: i[1].percent)
            low = min(rated, key=lambda i: i[1].percent)
            desc.append(_("Highest share executed: %(high)s, %(high_share)s; lowest: %(low)s, "
                          "%(low_share)s.") % {
                "high": high[0], "high_share": percent(high[1].percent, lang),
                "low": low[0], "low_share": percent(low[1].percent, lang)})
        if len(shown) < len(items):
            desc.append(_("The chart shows the %(count)s largest plans; the table lists all.")
                        % {"count": len(shown)})
        desc.append(_("The table below gives the same figures in thousand tenge."))
        svg = hbar_chart(bars, chart_id=chart_id, title=title, desc=" ".join(desc),
                         axis_label=unit, plan_label=_("Adjusted plan"),
                         value_label=_("Executed"),
                         number=lambda v: format_decimal(v, "#,##0.0", locale=lang),
                         tick_number=lambda v: format_decimal(v, "#,##0.#", locale=lang))
        return {"svg": svg, "title": title}

    def table_csv(self, first: str, rows: list[tuple[str, str, Totals]], total: Totals) -> bytes:
        """The page's table as CSV: the same rows, full precision, a total line last."""
        _ = self.gettext
        header = [_("Code"), first, _("Approved plan, thousand tenge"),
                  _("Adjusted plan, thousand tenge"), _("Executed, thousand tenge"),
                  _("Executed, share of the adjusted plan, %")]

        def line(code: str, name: str, t: Totals) -> list[str]:
            return [code, name, plain(t.approved), plain(t.adjusted), plain(t.executed),
                    plain(t.percent) if t.percent is not None else ""]
        return csv_bytes(header, [line(*r) for r in rows] + [line("", _("Total"), total)])

    # -- pages ---------------------------------------------------------------------------
    def generate_output(self, writer) -> None:
        with render_path(self.settings, self.output_path) as sink:
            self.emit_outputs(sink)

    def emit_outputs(self, sink) -> None:
        _, lang = self.gettext, self.lang
        self._write(sink, SECTION, "budget_data.html",
                    datasets=[(d, d.total(), self.report_of(p)) for p, d in self.datasets.items()])
        for period, dataset in self.datasets.items():
            base = f"{SECTION}{period}/"
            admins = [(t.code, self.admin_name(t.code), t) for t in dataset.administrators()]
            total = dataset.total()
            self._write(sink, base, "budget_period.html", dataset=dataset, total=total,
                        rows=admins, report=self.report_of(period), received=received(dataset),
                        chart=lambda admins=admins: self.chart(
                            "chart-admins", [(f"{c} — {n}", t) for c, n, t in admins],
                            "administrators"),
                        csv_name=CSV_NAME, opendata=f"/{OPENDATA}/{period}")
            self._write_file(sink, f"{lang}/{base}{CSV_NAME}",
                             lambda admins=admins, total=total: self.table_csv(
                                 _("State body"), admins, total))
            for code, name, admin_total in admins:
                programs = [(t.code, self.program_name(t), t) for t in dataset.programs(code)]
                path = f"{base}{code}/"
                self._write(sink, path, "budget_administrator.html", dataset=dataset,
                            admin=self.index.administrators.get(code), code=code, admin_name=name,
                            rows=programs, total=admin_total,
                            chart=lambda programs=programs: self.chart(
                                "chart-programs", [(f"{c} — {n}", t) for c, n, t in programs],
                                "programs"),
                            csv_name=CSV_NAME)
                self._write_file(sink, f"{lang}/{path}{CSV_NAME}",
                                 lambda programs=programs, total=admin_total: self.table_csv(
                                     _("Budget program"), programs, total))
            if lang == DEFAULT_LANGUAGE:
                self._write_file(sink, f"{OPENDATA}/{period}.json",
                                 lambda dataset=dataset: dataset.to_json().encode("utf-8"))
                self._write_file(sink, f"{OPENDATA}/{period}.csv",
                                 lambda dataset=dataset: b"\xef\xbb\xbf" + dataset.to_csv().encode("utf-8"))


def get_generators(pelican) -> type[Generator]:
    return BudgetPagesGenerator


def register() -> None:
    signals.get_generators.connect(get_generators)
