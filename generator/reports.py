"""Final reports (R17) on the site: the frozen report files the back office generated
(``<reports dir>/<uid>/v<N>/<lang>/report.*``) are published beside a report page rendered
from the frozen ``report.json``. The build reads only these public files, never the database."""
from __future__ import annotations

import json
import re
import shutil
from functools import lru_cache
from pathlib import Path

REPORT_FILES = ("report.csv", "report.xlsx", "report.pdf", "report.json")
VERSION = re.compile(r"^v(\d+)$")


def current_version(reports_dir: str | Path | None, uid: str) -> Path | None:
    """The newest version's folder (a regeneration makes N+1 and keeps N), or None."""
    if not reports_dir:
        return None
    folder = Path(reports_dir) / uid
    if not folder.is_dir():
        return None
    versions = [(int(m.group(1)), p) for p in folder.iterdir()
                if (m := VERSION.match(p.name)) and p.is_dir()]
    return max(versions)[1] if versions else None


@lru_cache(maxsize=64)
def _load(path: str, mtime_ns: int) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def load_report(version_dir: Path, lang: str) -> dict:
    path = version_dir / lang / "report.json"
    return _load(str(path), path.stat().st_mtime_ns)


def publish_files(version_dir: Path, lang: str, target: Path) -> list[tuple[str, int]]:
    """Copy one language's downloads into ``target``; returns ``(name, size)`` of each."""
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in REPORT_FILES:
        source = version_dir / lang / name
        if source.exists():
            shutil.copyfile(source, target / name)
            copied.append((name, source.stat().st_size))
    return copied
