"""Where budget data is kept (R4, R8): the received file archived byte for byte, the
normalized dataset written atomically into the content folder, and read back."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ashyq.files import atomic_write
from typing import Mapping

from ashyq.administrators import FILE_NAME, names, read_administrators_file
from ashyq.budget.checks import parse_budget_file
from ashyq.budget.model import DATA_DIR, N_, BudgetFileInvalid, Dataset, Problem


@dataclass(frozen=True)
class ImportResult:
    """What an import published and where the received file is kept."""

    dataset: Dataset
    dataset_path: Path
    archive_path: Path
    sha256: str
    replaced: bool  # an earlier dataset of the same period was replaced

    @property
    def period(self) -> str:
        return self.dataset.period

    @property
    def rows(self) -> int:
        return len(self.dataset.rows)

    @property
    def administrators(self) -> int:
        return len({r.administrator for r in self.dataset.rows})


def safe_name(name: str) -> str:
    """A file name safe in any folder: its last part, ASCII letters, digits, ``._-``."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(str(name or "")).name).strip("._")
    return base[-100:] or "budget"


def dataset_path(content_dir: Path, period: str) -> Path:
    return Path(content_dir) / DATA_DIR / f"{period}.json"


def import_budget_file(path_or_bytes: Path | str | bytes, name: str | None, content_dir: Path,
                       archive_dir: Path, administrators: Mapping[str, object], *,
                       fmt: str | None = None, system: str | None = None,
                       now: dt.datetime | None = None) -> ImportResult:
    """Check a budget file; on success keep it byte for byte in ``archive_dir`` and write its
    dataset to ``content_dir/reporting/data/<period>.json`` (R4, R8). On any problem raise
    :class:`BudgetFileInvalid` and write nothing."""
    if isinstance(path_or_bytes, (bytes, bytearray)):
        data = bytes(path_or_bytes)
    else:
        data = Path(path_or_bytes).read_bytes()
        name = name or Path(path_or_bytes).name
    dataset = parse_budget_file(data, name or "", administrators, fmt)
    digest = hashlib.sha256(data).hexdigest()
    moment = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    stamp = moment.strftime("%Y%m%dT%H%M%SZ")
    archive = Path(archive_dir) / f"{stamp}-{digest[:12]}-{safe_name(name or '')}"
    atomic_write(archive, data, durable=True)
    archive.chmod(0o444)  # kept as received, never modified
    dataset.source = {"name": name or "", "sha256": digest, "archived": archive.name,
                      "received": moment.isoformat(timespec="seconds").replace("+00:00", "Z"),
                      **({"system": system} if system else {})}
    target = dataset_path(content_dir, dataset.period)
    replaced = target.exists()
    atomic_write(target, dataset.to_json(), durable=True)
    return ImportResult(dataset, target, archive, digest, replaced)


def load_dataset(path: Path, administrators: Mapping[str, object]) -> Dataset:
    """A dataset written by :func:`import_budget_file`, checked again (it is content)."""
    path = Path(path)
    data = path.read_bytes()
    dataset = parse_budget_file(data, path.name, administrators, "json")
    if dataset.period != path.stem:
        raise BudgetFileInvalid([Problem(None, "period", "R4", "period_mismatch", N_(
            "Period %(value)s differs from %(expected)s: one file holds one period."),
            {"value": dataset.period, "expected": path.stem})])
    source = json.loads(data).get("source")
    dataset.source = source if isinstance(source, dict) else {}
    return dataset


def read_administrators(content_dir: Path) -> dict[str, dict[str, str]]:
    """Administrator codes and names from ``administrators.toml`` (for the checks, R8)."""
    return names(read_administrators_file(Path(content_dir) / FILE_NAME))
