"""Time to publish: from a moderation decision to the updated static page (TARGETS.md: median
within 1 s at 20,000 documents, flat as the site grows), beside a full build of the same site.

For each size N: synthetic passports (bench/synthetic.py), one full build (the baseline), a
database with pending proposals on an open discussion, and the rebuild worker running in its
thread with its normal poll and debounce. Each round the operator publishes one proposal
(the library call the office uses) and the clock runs until the proposal's text is in the
served static file, read from disk as the web server would.

    .venv/bin/python bench/publish.py --sizes 1000 5000 20000 --rounds 20
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))
sys.path.insert(0, str(BENCH_DIR))

from synthetic import BENCH_TODAY, write_synthetic_content  # noqa: E402

from portal.worker import RebuildWorker  # noqa: E402
from generator.build import build  # noqa: E402
from submit_api import moderation  # noqa: E402
from submit_api.db import connect, init_db  # noqa: E402
from submit_api.staff import Role  # noqa: E402

OPERATOR = [Role("operator")]


def open_document(site: Path) -> dict:
    manifest = json.loads((site / "opendata" / "documents.json").read_text(encoding="utf-8"))
    return next(d for d in manifest["documents"] if d["status"] == "open")


def add_pending(conn: sqlite3.Connection, doc: dict, rounds: int) -> list[tuple[int, str]]:
    made = []
    for i in range(rounds):
        text = f"Бенчмарк ұсынысы {i} — предложение {doc['uid']} {time.time_ns()}"
        cur = conn.execute(
            "INSERT INTO proposals (document, part, person, lang, text, text_key, created_at, "
            "moderation_due) VALUES (?, ?, ?, 'ru', ?, ?, ?, ?)",
            (doc["uid"], doc["parts"][0]["id"], f"bench-person-{i}", text, f"key-{i}-{time.time_ns()}",
             f"{BENCH_TODAY.isoformat()}T10:00:00+05:00", BENCH_TODAY.isoformat()))
        made.append((cur.lastrowid, text))
    return made


def run(n: int, rounds: int, workdir: Path) -> dict:
    content, site, cache = workdir / "content", workdir / "site", workdir / "cache"
    write_synthetic_content(content, n)
    started = time.perf_counter()
    result = build(content, site, cache_dir=cache, today=BENCH_TODAY)
    full_build = time.perf_counter() - started
    database = workdir / "ashyq.sqlite3"
    init_db(database)
    conn = connect(database)
    doc = open_document(site)
    pending = add_pending(conn, doc, rounds)
    worker = RebuildWorker(database, content, site, cache)
    started = time.perf_counter()
    worker.tick()  # loads the index and the generators once, as `ashyq serve` does at start
    load = time.perf_counter() - started
    worker.start()
    page = site / "ru" / "discussions" / doc["uid"] / "index.html"
    times = []
    for proposal_id, text in pending:
        started = time.perf_counter()
        moderation.moderate(conn, proposal_id, "bench-operator", OPERATOR, "publish", "complies")
        deadline = started + 30
        while text not in (site / page.relative_to(site)).read_text(encoding="utf-8"):
            if time.perf_counter() > deadline:
                raise SystemExit(f"proposal {proposal_id} never appeared on {page}")
            time.sleep(0.005)
        times.append(time.perf_counter() - started)
    worker.stop()
    conn.close()
    return {"n": n, "pages": result.pages, "full_build_s": round(full_build, 2),
            "worker_load_s": round(load, 2), "rounds": rounds,
            "publish_median_ms": round(statistics.median(times) * 1000),
            "publish_p90_ms": round(statistics.quantiles(times, n=10)[-1] * 1000),
            "publish_max_ms": round(max(times) * 1000)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--out-json", type=Path)
    args = parser.parse_args()
    os.environ["ASHYQ_NOW"] = f"{BENCH_TODAY.isoformat()}T10:00:00+05:00"
    rows = []
    print(f"{'N':>6} {'pages':>7} {'full build s':>12} {'worker load s':>13} "
          f"{'publish median ms':>17} {'p90 ms':>7} {'max ms':>7}  (target: median <= 1000 ms)")
    for n in args.sizes:
        with tempfile.TemporaryDirectory(prefix=f"ashyq-publish-{n}-") as tmp:
            row = run(n, args.rounds, Path(tmp))
        rows.append(row)
        print(f"{row['n']:>6} {row['pages']:>7} {row['full_build_s']:>12} {row['worker_load_s']:>13} "
              f"{row['publish_median_ms']:>17} {row['publish_p90_ms']:>7} {row['publish_max_ms']:>7}",
              flush=True)
    if args.out_json:
        args.out_json.write_text(json.dumps({"date": dt.date.today().isoformat(), "rows": rows},
                                            indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
