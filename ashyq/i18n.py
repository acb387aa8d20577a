"""UI strings (Babel gettext catalogs, kk and ru) and dates formatted by Babel.

The catalogs live as ``.po`` files in ``ashyq/translations/<lang>/LC_MESSAGES``; the build
compiles them to ``.mo`` beside its cache, so no binary file is committed. Template msgids are
English; every language, Kazakh included, is a translation (``I18N_TEMPLATES_LANG = "en"``).
"""
from __future__ import annotations

import datetime as dt
import gettext
import io
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from ashyq.doctypes import LANGUAGES
from ashyq.files import atomic_write

CATALOG_DIR = Path(__file__).parent / "translations"
DOMAIN = "messages"


def compile_catalogs(locale_dir: Path) -> Path:
    """Compile every ``.po`` catalog into ``locale_dir`` (only those whose source changed)."""
    for lang in LANGUAGES:
        po = CATALOG_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        mo = Path(locale_dir) / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as src:
            catalog = read_po(src, locale=lang)
        out = io.BytesIO()
        write_mo(out, catalog)
        atomic_write(mo, out.getvalue())  # parallel builds never see half a catalog
    return Path(locale_dir)


@lru_cache(maxsize=8)
def translations(locale_dir: str, lang: str) -> gettext.GNUTranslations:
    """The compiled catalog of one language."""
    return gettext.translation(DOMAIN, locale_dir, [lang])


def date_long(value: dt.date | None, lang: str) -> str:
    """A date as people write it: "2026 ж. 2 наурыз" (kk), "2 марта 2026 г." (ru)."""
    return format_date(value, "long", locale=lang) if value else ""


def date_short(value: dt.date | None, lang: str) -> str:
    """A compact date for tables: "02.03.2026"."""
    return format_date(value, "dd.MM.yyyy", locale=lang) if value else ""
