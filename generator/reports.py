"""Final reports (R17) on the site: the frozen report files the back office generated
(``<reports dir>/<uid>/v<N>/<lang>/report.*``) are published beside a report page rendered
from the frozen ``report.json``. The build reads only these public files, never the database."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

REPORT_FILES = ("report.csv", "report.xlsx", "report.pdf", "report.json")
#: The signed manifest of the files' SHA-256 and its CMS signature (issue 15), published beside.
SIGNATURE_FILES = ("report.sha256.json", "report.sha256.json.p7s")
PUBLISHED_FILES = REPORT_FILES + SIGNATURE_FILES
VERSIONS_FILE = "versions.json"
CERTIFICATE = "opendata/portal-certificate.pem"
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


def versions(reports_dir: str | Path | None, uid: str) -> list[dict]:
    """Every version of a report, oldest first: ``{version, generated_at, superseded_at, reason,
    folder}`` (from ``versions.json``, written by the service with each version)."""
    if not reports_dir:
        return []
    path = Path(reports_dir) / uid / VERSIONS_FILE
    if not path.exists():
        return []
    found = []
    for item in json.loads(path.read_text(encoding="utf-8")).get("versions", []):
        folder = Path(reports_dir) / uid / f"v{int(item['version'])}"
        if folder.is_dir():
            found.append({**item, "folder": folder})
    return found


def published_versions(reports_dir: str | Path | None, uid: str,
                       current: Path) -> list[tuple[Path, str]]:
    """``(folder, prefix)`` of what the report page publishes: the current version at
    ``report/``, each earlier one at ``report/vN/`` (issue 15)."""
    return [(current, "")] + [(v["folder"], f"v{v['version']}/") for v in versions(reports_dir, uid)
                              if v["folder"] != current]
