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
#: The signed manifest of the files' SHA-256 and its CMS signature (issue 15), published beside.
SIGNATURE_FILES = ("report.sha256.json", "report.sha256.json.p7s")
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


def publish_files(version_dir: Path, lang: str, target: Path) -> list[tuple[str, int]]:
    """Copy one language's downloads into ``target``; returns ``(name, size)`` of each."""
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in REPORT_FILES + SIGNATURE_FILES:
        source = version_dir / lang / name
        if source.exists():
            shutil.copyfile(source, target / name)
            copied.append((name, source.stat().st_size))
    return copied


def versions(reports_dir: str | Path | None, uid: str) -> list[dict]:
    """Every version of a report, oldest first: ``{version, generated_at, superseded_at, reason,
    folder}`` (from ``versions.json``, written by the service with each version)."""
    if not reports_dir:
        return []
    path = Path(reports_dir) / uid / VERSIONS_FILE
    if not path.exists():
        return []
    listed = json.loads(path.read_text(encoding="utf-8")).get("versions", [])
    found = []
    for item in listed:
        folder = Path(reports_dir) / uid / f"v{int(item['version'])}"
        if folder.is_dir():
            found.append({**item, "folder": folder})
    return found


def publish_certificate(build_dir: Path, source: str | Path | None) -> Path | None:
    """``/opendata/portal-certificate.pem``: what the reports' signatures and the proposal
    receipts are checked against (issue 15)."""
    if not source or not Path(source).is_file():
        return None
    target = Path(build_dir) / CERTIFICATE
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target
