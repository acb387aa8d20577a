"""Extract UI strings from the code and templates and merge them into the kk and ru catalogs.

Usage: python tools/update_catalogs.py — keeps every existing translation, adds new msgids
with an empty translation, drops msgids no longer used, and lists what still needs translating
(tests/test_i18n.py fails while anything does)."""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "ashyq" / "translations"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        pot_path = Path(tmp) / "messages.pot"
        subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
                        str(ROOT / "babel.cfg"), "-o", str(pot_path), "--no-location",
                        "--omit-header", str(ROOT)], check=True, capture_output=True)
        pot = read_po(pot_path.open("rb"))
    missing = 0
    for path in sorted(CATALOGS.glob("*/LC_MESSAGES/messages.po")):
        lang = path.parent.parent.name
        old = read_po(path.open("rb"), locale=lang)
        new = Catalog(locale=lang, project="ashyq", version="0.1")
        for message in pot:
            if not message.id:
                continue
            previous = old.get(message.id)
            new.add(message.id, previous.string if previous else "")
            if not (previous and previous.string):
                missing += 1
                print(f"{lang}: untranslated: {message.id}")
        with path.open("wb") as out:
            write_po(out, new, no_location=True, width=100)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
