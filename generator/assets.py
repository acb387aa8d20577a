"""The theme's scripts and styles as served: comments, indentation and blank lines dropped.

The sources in ``themes/ashyq/static`` keep their comments; a document page's weight (HTML +
CSS + JS, ≤ 60 KB: ../shared/TARGETS.md) counts what is served. The compaction is line-based
and keeps every line break, so JavaScript's automatic semicolons read the code exactly as
before; only lines that are wholly a ``//`` comment go (no theme script spans a template
literal over lines, which this would change - tests/test_build.py checks the served scripts
still parse). Files are replaced through :func:`ashyq.files.atomic_write` (a new inode), so a
build directory sharing a file with the previous build by hard link never changes it.

:func:`serve_theme` then gives every served theme file its content-hashed name (``ashyq.theme``).
"""
from __future__ import annotations

import re
from pathlib import Path

from ashyq import theme
from ashyq.files import atomic_write
from generator.chrome import forget_theme_urls

CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)


def compact(text: str, kind: str) -> str:
    """``text`` of a ``js`` or ``css`` file without comments, indentation or blank lines."""
    if kind == "css":
        text = CSS_COMMENT.sub("", text)
    lines = (line.strip() for line in text.split("\n"))
    kept = [line for line in lines if line and not (kind == "js" and line.startswith("//"))]
    return "\n".join(kept) + "\n"


def compact_theme(site: Path, theme_dir: str = "theme") -> int:
    """Compact every ``.js`` and ``.css`` file under ``site/theme_dir``; returns bytes saved."""
    saved = 0
    for path in sorted((Path(site) / theme_dir).rglob("*")):
        kind = path.suffix.lstrip(".")
        if kind not in ("js", "css") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        served = compact(text, kind)
        if served != text:
            atomic_write(path, served)
            saved += len(text.encode("utf-8")) - len(served.encode("utf-8"))
    return saved


def serve_theme(site: Path) -> dict[str, str]:
    """The theme under ``site/theme`` as served: compacted, then each file also under its
    content-hashed name (``ashyq.theme.publish``); returns source name -> served name."""
    compact_theme(site, theme.THEME_DIR)
    names = theme.publish(site)
    forget_theme_urls()  # the names a build's templates kept (generator.chrome)
    return names
