"""UI strings (Babel gettext catalogs, kk and ru) and dates formatted by Babel.

The catalogs live as ``.po`` files in ``ashyq/translations/<lang>/LC_MESSAGES``; the build
compiles them to ``.mo`` beside its cache, so no binary file is committed. Template msgids are
English; every language, Kazakh included, is a translation (``I18N_TEMPLATES_LANG = "en"``).
"""
from __future__ import annotations

import datetime as dt
import gettext
import io
import re
from functools import lru_cache
from pathlib import Path

import jinja2
from babel.dates import format_date
from babel.numbers import format_decimal
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from ashyq.doctypes import LANGUAGES
from ashyq.files import atomic_write
from ashyq.theme import theme_url

CATALOG_DIR = Path(__file__).parent / "translations"
DOMAIN = "messages"


def compile_catalog(lang: str) -> bytes:
    """The ``.mo`` bytes of one language's catalog, compiled from its ``.po``."""
    po = CATALOG_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po.open("rb") as src:
        catalog = read_po(src, locale=lang)
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


@lru_cache(maxsize=len(LANGUAGES))
def catalog(lang: str) -> gettext.GNUTranslations:
    """One language's catalog, compiled in memory (for writers that have no locale folder:
    the open data). The same messages as :func:`translations`."""
    return gettext.GNUTranslations(io.BytesIO(compile_catalog(lang)))


def gettext_for(lang: str):
    """``_(message, **values)`` in ``lang``: the translation, ``%``-formatted with ``values``."""
    translate = catalog(lang).gettext

    def _(message: str, **values) -> str:
        text = translate(message)
        return text % values if values else text
    return _


def environment(templates: Path) -> jinja2.Environment:
    """A Jinja environment with the site's options (``pelicanconf.JINJA_ENVIRONMENT``) and
    date filters, for pages written outside Pelican's generators (the open data page); each
    language's ``_`` is a global named after it (``kk("...")``, ``ru("...")``). Theme files
    go through ``theme_url`` (``ashyq.theme``): render with ``OUTPUT_PATH``, the site's folder."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates)),
                             autoescape=jinja2.select_autoescape(), trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True)
    env.globals.update({lang: gettext_for(lang) for lang in LANGUAGES})
    env.filters.update(date_long=date_long, date_short=date_short, theme_url=theme_url)
    return env


def compile_catalogs(locale_dir: Path) -> Path:
    """Compile every ``.po`` catalog into ``locale_dir`` (only those whose source changed)."""
    for lang in LANGUAGES:
        po = CATALOG_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        mo = Path(locale_dir) / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        atomic_write(mo, compile_catalog(lang))  # parallel builds never see half a catalog
    return Path(locale_dir)


@lru_cache(maxsize=8)
def translations(locale_dir: str, lang: str) -> gettext.GNUTranslations:
    """The compiled catalog of one language."""
    return gettext.translation(DOMAIN, locale_dir, [lang])


@lru_cache(maxsize=8192)   # pure, and Babel takes ~0.1 ms a date: a 5,000-row table repeats them
def date_long(value: dt.date | None, lang: str) -> str:
    """A date as people write it: "2026 ж. 2 наурыз" (kk), "2 марта 2026 г." (ru)."""
    return format_date(value, "long", locale=lang) if value else ""


@lru_cache(maxsize=8192)
def date_short(value: dt.date | None, lang: str) -> str:
    """A compact date for tables: "02.03.2026"."""
    return format_date(value, "dd.MM.yyyy", locale=lang) if value else ""


#: Units of file sizes; Kazakh and Russian write them alike (Б, КБ, МБ, ГБ).
SIZE_UNITS = {"kk": ("Б", "КБ", "МБ", "ГБ"), "ru": ("Б", "КБ", "МБ", "ГБ")}


def file_size(n: int, lang: str) -> str:
    """The one file-size formatter of the site: "512 Б", "14,5 КБ", "2,3 МБ" (1 КБ = 1024 Б),
    digits by Babel in the page's language, a no-break space before the unit."""
    units = SIZE_UNITS.get(lang, SIZE_UNITS["kk"])
    value, unit = float(n), 0
    while value >= 1024 and unit < len(units) - 1:
        value, unit = value / 1024, unit + 1
    number = format_decimal(round(value, 1) if unit else int(value), "#,##0.#", locale=lang)
    return f"{number}\u00a0{units[unit]}"


def one_period(text: str) -> str:
    """A sentence that ends on an abbreviation keeps one period: Russian dates end in "г.",
    so "…завершено 1 декабря 2026 г.." becomes "…2026 г." (issue 14)."""
    return re.sub(r"\.\.(?=\s|$|<)", ".", str(text))


@lru_cache(maxsize=8192, typed=True)  # pure; Babel takes 12 µs: 2-5 counts on each of 40,000 pages
def number(value: int | float, lang: str) -> str:
    """A count as the language writes it, digit groups joined by no-break spaces (Babel)."""
    return format_decimal(value, locale=lang)
