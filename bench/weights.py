"""Page weights: HTML + the CSS and JS each page type references, plain and gzipped, for the
sample site (target: document page ≤ 60 KB, no render-blocking script).

    .venv/bin/python bench/weights.py
"""
from __future__ import annotations

import datetime as dt
import gzip
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.build import build  # noqa: E402

PAGES = ["index.html", "discussions/index.html", "discussions/BP-2027-226-067/index.html",
         "reporting/data/2026-10/index.html", "citizens-budget/CB-2027-planning/index.html",
         "compliance/index.html", "search/index.html"]


def weight(site: Path, page: Path) -> tuple[int, int, list[str]]:
    html = page.read_bytes()
    assets = re.findall(rb'(?:href|src)="(/[^"]+\.(?:css|js))"', html)
    blocking = [a.decode() for a in re.findall(rb'<script(?![^>]*\b(?:defer|async)\b)[^>]*src="([^"]+)"', html)]
    files = [html] + [(site / a.decode().lstrip("/")).read_bytes() for a in assets]
    return sum(map(len, files)), sum(len(gzip.compress(f, 9)) for f in files), blocking


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        build(ROOT / "content", site, cache_dir=Path(tmp) / "cache", today=dt.date(2026, 12, 1))
        print(f"{'page':<48} {'bytes':>8} {'gzip':>7}  render-blocking scripts  (target <= 60,000)")
        for lang in ("kk", "ru"):
            for name in PAGES:
                total, packed, blocking = weight(site, site / lang / name)
                print(f"/{lang}/{name:<44} {total:>8,} {packed:>7,}  {', '.join(blocking) or '-'}")


if __name__ == "__main__":
    main()
