"""The open data's own page, ``/opendata/index.html``: every file of ``/opendata/`` with its
format, size and description, in Kazakh with the Russian beside it (one page, both languages).
Rendered with the shared catalogs and Jinja set-up of ``ashyq.i18n``."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import jinja2

from ashyq.doctypes import DEFAULT_LANGUAGE, LANGUAGES
from ashyq.i18n import environment, file_size
from generator.manifest import MANIFEST_PATH
from generator.opendata import (
    LICENSE, MANIFEST_TITLE, PACKAGE, PACKAGE_FILE_DESCRIPTION, N_, Table, gettext,
)

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "themes" / "ashyq" / "templates"
SETTINGS = ROOT / "pelicanconf.py"
STRICT_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'"


def _size(n: int) -> str:
    """A size as both languages write it: "512 Б", "4,2 КБ" (the site's one formatter)."""
    return file_size(n, DEFAULT_LANGUAGE)


@lru_cache(maxsize=1)
def page_policy() -> str:
    """The Content-Security-Policy the site's pages carry (``pelicanconf.py``)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("ashyq_opendata_pelicanconf", SETTINGS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, "CONTENT_SECURITY_POLICY", STRICT_POLICY)


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return environment(TEMPLATES)


OTHER_FILES = {"budget-reporting": N_("Budget execution as of %(period)s, in the import "
                                      "format of the Ministry of Finance")}
OTHER_FILE = N_("A further file of the open data")


def _other(path: str, lang: str) -> str:
    """The description of a file another part of the build put under ``/opendata/``."""
    folder, _, name = path.rpartition("/")
    message = OTHER_FILES.get(folder.split("/")[0], OTHER_FILE)
    return gettext(lang)(message, period=name.split(".")[0])


def page(descriptor: dict, found: list[Table], files: dict[str, bytes],
         manifest: bytes | None, others: dict[str, int], site: Path | None = None) -> bytes:
    """``/opendata/index.html``: one page in both languages (Kazakh, with Russian marked),
    listing every file with its format, size and description; ``others`` are the files
    (path -> size) that other parts of the build write in subfolders; ``site`` is the build
    directory, whose theme files the page names (``ashyq.theme``)."""
    def entry(path: str, size: int, message: str) -> dict:
        return {"path": path, "format": path.rpartition(".")[2].upper(), "size": _size(size),
                "description": {lang: gettext(lang)(message) for lang in LANGUAGES}}

    listed = [entry(PACKAGE, len(files[PACKAGE]), PACKAGE_FILE_DESCRIPTION)]
    if manifest is not None:
        listed.append(entry(Path(MANIFEST_PATH).name, len(manifest), MANIFEST_TITLE))
    listed += [entry(f"{t.name}.{suffix}", len(files[f"{t.name}.{suffix}"]), t.title)
               for t in found for suffix in t.formats]
    for path, size in sorted(others.items()):
        listed.append({**entry(path, size, OTHER_FILE),
                       "description": {lang: _other(path, lang) for lang in LANGUAGES}})
    created = dt.datetime.fromisoformat(descriptor["created"])
    html = _environment().get_template("opendata.html").render(
        files=listed, created=created, license=LICENSE, package=descriptor,
        policy=page_policy(), OUTPUT_PATH=str(site) if site else None)
    return html.encode("utf-8")
