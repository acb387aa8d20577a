"""``content/administrators.toml``: the budget program administrators (R8) - code, kk/ru names,
level, region, the e-mail that receives final reports (R17). Pure: one reader for all of its
users (the generator's content checks, the budget-data checks, report delivery)."""
from __future__ import annotations

import tomllib
from pathlib import Path

FILE_NAME = "administrators.toml"


class AdministratorsInvalid(ValueError):
    "The file is not valid TOML"


def parse_administrators(text: str) -> list[dict]:
    """The ``[[administrator]]`` tables of the file's text, in order, as written (checked by
    their users: the generator reports missing fields, R8)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AdministratorsInvalid(str(exc)) from exc
    return [dict(entry) for entry in data.get("administrator", [])]


def read_administrators_file(path: str | Path) -> list[dict]:
    """:func:`parse_administrators` of a file (``content_dir / FILE_NAME``)."""
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:  # TOML is UTF-8 text
        raise AdministratorsInvalid(f"not UTF-8 text (byte {exc.start}): save the file in "
                                    "the UTF-8 encoding") from exc
    return parse_administrators(text)


def names(entries: list[dict]) -> dict[str, dict[str, str]]:
    """``{code: {lang: name}}``."""
    return {str(a.get("code")): dict(a.get("name") or {}) for a in entries}


def emails(entries: list[dict]) -> dict[str, str]:
    """``{code: e-mail}``; an administrator without an address is left out."""
    return {str(a["code"]): a["email"].strip() for a in entries
            if str(a.get("email", "")).strip()}
