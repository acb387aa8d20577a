"""The theme's files under names that change with their bytes, so browsers may keep them a year.

A build copies ``themes/ashyq/static`` to ``/theme/`` and compacts its scripts and styles
(``generator.assets``); :func:`publish` then writes beside each served file a copy named after
its served bytes - ``/theme/js/participate.js`` becomes ``/theme/js/participate.<hash>.js``,
``<hash>`` the first 10 hex digits of the SHA-256 of what is served - and records the names
in the build directory (``.ashyq-theme.json``, never served). The same bytes always give the
same name, so a cold build and an incremental one stay identical file by file.

Pages name theme files only through the ``theme_url`` filter (``{{ "js/site.js"|theme_url }}``):
the build's templates (``pelicanconf.JINJA_FILTERS``), the open data page
(``ashyq.i18n.environment``) and the service's office and follow pages (``submit_api``) read
the record of the site they belong to (``OUTPUT_PATH`` in the template's context: the build
directory, or the served ``output`` link for the service). A name the theme does not have is
an error. Without a record (a plain ``pelican`` run, a service with no site built yet) the
plain name is used: the unhashed files stay served, for links from outside, and are cached a
day only. A hashed name is cached for a year, ``immutable`` (:data:`IMMUTABLE`, nginx and
``ashyq serve`` alike, matched by :data:`HASHED`).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from functools import lru_cache
from pathlib import Path

import jinja2

from ashyq.files import atomic_write

THEME_DIR = "theme"  # pelicanconf.THEME_STATIC_DIR
RECORD = ".ashyq-theme.json"
HASH_LENGTH = 10
#: A hashed theme file's name ends so: ``.<10 hex digits>.<extension>``.
HASHED_SUFFIX = rf"\.[0-9a-f]{{{HASH_LENGTH}}}\.[A-Za-z0-9]+$"
HASHED = re.compile(rf"^/{THEME_DIR}/(?:[^/]+/)*[^/]+{HASHED_SUFFIX}")
#: Cache-Control of a hashed theme file: its name changes whenever its bytes do.
IMMUTABLE = "public, max-age=31536000, immutable"


class UnknownThemeFile(LookupError):
    "A template names a theme file the theme does not have"


def hashed_name(name: str, data: bytes) -> str:
    """``js/participate.js`` with ``data`` -> ``js/participate.<hash>.js``."""
    folder, _, base = name.rpartition("/")
    stem, dot, ext = base.rpartition(".")
    if not dot or not stem:
        raise ValueError(f"theme file {name!r} has no extension to keep")
    digest = hashlib.sha256(data).hexdigest()[:HASH_LENGTH]
    return f"{folder}/{stem}.{digest}.{ext}".lstrip("/")


def is_hashed(path: str) -> bool:
    """Whether the URL path ``path`` is a hashed theme file (``/theme/…/name.<hash>.ext``)."""
    return HASHED.match(path) is not None


def publish(site: Path) -> dict[str, str]:
    """Write the hashed copy of every file under ``site/theme`` (as it is served) and the
    record of names; returns it (source name -> served name, relative to ``/theme/``)."""
    root = Path(site) / THEME_DIR
    names: dict[str, str] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
        name = path.relative_to(root).as_posix()
        if re.search(HASHED_SUFFIX, name):
            raise ValueError(f"theme file {name!r} already looks hashed: rename it")
        data = path.read_bytes()
        names[name] = hashed_name(name, data)
        atomic_write(root / names[name], data)
    atomic_write(Path(site) / RECORD, json.dumps(names, indent=1, sort_keys=True) + "\n")
    return names


def served_names(site: str | os.PathLike | None) -> dict[str, str] | None:
    """The record of the site at ``site`` (a build directory or the ``output`` link), or None."""
    if not site:
        return None
    record = os.path.join(site, RECORD)
    try:
        stat = os.stat(record)
    except OSError:
        return None
    return _read(record, stat.st_ino, stat.st_mtime_ns)


@lru_cache(maxsize=16)
def _read(record: str, _inode: int, _mtime: int) -> dict[str, str]:
    with open(record, encoding="utf-8") as f:
        return json.load(f)


def url(site: str | os.PathLike | None, name: str) -> str:
    """The address of the theme file ``name`` (``css/site.css``) in the site at ``site``."""
    names = served_names(site)
    if names is None:
        return f"/{THEME_DIR}/{name}"
    try:
        return f"/{THEME_DIR}/{names[name]}"
    except KeyError:
        raise UnknownThemeFile(f"the theme has no file {name!r}") from None


@jinja2.pass_context
def theme_url(context, name: str) -> str:
    """The Jinja filter: ``{{ "css/site.css"|theme_url }}`` -> ``/theme/css/site.<hash>.css``
    for the site at the context's ``OUTPUT_PATH``."""
    return url(context.get("OUTPUT_PATH"), name)
