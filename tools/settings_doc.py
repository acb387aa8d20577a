"""Write docs/settings.md from ashyq.settings (the one source of the settings):
``python tools/settings_doc.py``. tests/test_layout.py fails when the page is out of step."""
from __future__ import annotations

import json
from pathlib import Path

from ashyq.settings import ENVIRONMENT_ONLY, ROOT, SETTINGS

HEAD = """# Settings

Every setting is an `ASHYQ_*` environment variable; the `ashyq` command, the rebuild worker and
the service (`create_app`) read the same ones through `ashyq.settings.load`. A value that parses
as JSON is JSON (`true`, `30`, `{"a": "b"}`), anything else is text. Paths are relative to the
checkout unless absolute. Generated from `ashyq/settings.py` by `python tools/settings_doc.py`.

| variable | default | what it is |
|---|---|---|
"""


def shown(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, str) and value.startswith(str(ROOT)):
        value = value[len(str(ROOT)) + 1:]
    return f"`{json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value}`"


def page() -> str:
    rows = [f"| `ASHYQ_{name}` | {shown(s.default)} | {s.doc} |" for name, s in SETTINGS.items()]
    rows += [f"| `ASHYQ_{name}` | — | {doc} |" for name, doc in ENVIRONMENT_ONLY.items()]
    return HEAD + "\n".join(rows) + "\n"


if __name__ == "__main__":
    (ROOT / "docs" / "settings.md").write_text(page(), encoding="utf-8")
