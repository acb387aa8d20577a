"""Final report benchmark (R17): one discussion with N published proposals, all formats, kk + ru.

The script makes a fresh SQLite database (``submit_api.db.init_db``) holding one passport with
N published proposals (deterministic for a seed): texts of 60-1000 characters in Kazakh and
Russian (mean ≈ 350), two thirds answered (accepted or rejected, with a justification), 0-9
"for" and "against" votes each, plus 200 refused and 50 pending proposals that stay out of the
report. It then times, in this process:

* ``report_data`` (reading the database into the report's dict);
* per language, the view (labels, Babel dates) and each writer (CSV, XLSX, PDF, JSON);

and prints wall and CPU time (the machine may be shared) and the total beside the target
(TARGETS.md: ≤ 2 s for 5,000 proposals, all formats).

    .venv/bin/python bench/report.py --proposals 5000 [--formats csv xlsx pdf json] [--keep DIR]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from ashyq.doctypes import LANGUAGES  # noqa: E402
from submit_api.db import connect, init_db  # noqa: E402
from submit_api.reports import render  # noqa: E402
from submit_api.reports.data import report_data  # noqa: E402

TARGET_SECONDS = 2.0
UID = "BP-2026-225-001"
PARTS = [("purpose", "Мақсаты", "Цель"), ("objectives", "Міндеттері", "Задачи"),
         ("description", "Сипаттамасы", "Описание"), ("direct-results", "Тікелей нәтижелер",
                                                     "Прямые результаты"),
         ("final-results", "Түпкілікті нәтижелер", "Конечные результаты"),
         ("expenses", "Шығыстар", "Расходы")]
WORDS = {
    "kk": ("бюджет ұсыныс қаржы мектеп жол аурухана бағдарлама әкімдік жоспар қаражат "
           "мұғалім балабақша өңір ауыл тұрғындар құрылыс жөндеу көрсеткіш нәтиже шығыс "
           "қажет деп санаймын көбейту азайту қайта қарау").split(),
    "ru": ("бюджет предложение финансирование школа дорога больница программа акимат план "
           "средства учитель детский сад регион село жители строительство ремонт показатель "
           "результат расходы необходимо считаю увеличить сократить пересмотреть").split(),
}
DOCUMENT = {
    "uid": UID, "type": "passport",
    "title": {"kk": "Мектепке дейінгі тәрбие мен оқытуды қамтамасыз ету",
              "ru": "Обеспечение дошкольного воспитания и обучения"},
    "administrator": {"code": "225", "name": {
        "kk": "Қазақстан Республикасының Оқу-ағарту министрлігі",
        "ru": "Министерство просвещения Республики Казахстан"}},
    "program": "001", "budget_type": "republican", "period": "2026-2028",
    "head": {"kk": "Бағдарлама басшысы Ахметов А.", "ru": "Руководитель программы Ахметов А."},
    "posted": "2026-03-02", "discussion_end": "2026-03-16", "status": "closed",
    "parts": [{"id": pid, "title": {"kk": kk, "ru": ru}} for pid, kk, ru in PARTS],
}


def sentence(rng: random.Random, lang: str, length: int) -> str:
    words: list[str] = []
    size = 0
    while size < length:
        word = rng.choice(WORDS[lang])
        words.append(word)
        size += len(word) + 1
    return (" ".join(words)[:length].rstrip().capitalize() + ".")[:1000]


def fill(conn: sqlite3.Connection, n: int, seed: int = 17) -> None:
    """N published proposals (2/3 answered) with votes, and refused/pending ones beside them."""
    rng = random.Random(seed)
    proposals, votes = [], []
    statuses = ["published", "accepted", "rejected"] * ((n + 2) // 3)
    extra = ["refused"] * 200 + ["pending"] * 50
    for i, status in enumerate(statuses[:n] + extra, start=1):
        lang = rng.choice(LANGUAGES)
        length = int(min(1000, 60 + rng.expovariate(1 / 290)))
        answered = status in ("accepted", "rejected")
        day = dt.date(2026, 3, 2) + dt.timedelta(days=rng.randrange(14))
        proposals.append((i, UID, rng.choice(PARTS)[0], f"p{i}", lang, sentence(rng, lang, length),
                          f"k{i}", status, f"{day}T10:00:00+05:00", str(day),
                          sentence(rng, lang, rng.randrange(40, 400)) if answered else None,
                          f"{day + dt.timedelta(days=1)}T12:00:00+05:00" if answered else None))
        if status in ("published", "accepted", "rejected"):
            for k in range(rng.randrange(10)):
                votes.append(("proposal", str(i), f"v{k}", "for", "x", "x"))
            for k in range(rng.randrange(10)):
                votes.append(("proposal", str(i), f"w{k}", "against", "x", "x"))
    votes += [("document", UID, f"d{k}", "for" if k % 3 else "against", "x", "x")
              for k in range(300)]
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO proposals (id, document, part, person, lang, text, text_key, status, "
        "created_at, moderation_due, answer_text, answered_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        proposals)
    conn.executemany("INSERT INTO votes VALUES (?,?,?,?,?,?)", votes)
    conn.execute("COMMIT")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=5000)
    parser.add_argument("--formats", nargs="+", default=["csv", "xlsx", "pdf", "json"],
                        choices=["csv", "xlsx", "pdf", "json"])
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite3"
        init_db(db)
        conn = connect(db)
        fill(conn, args.proposals)
        dest = args.keep or Path(tmp) / "report"
        timings: list[tuple[str, float, float]] = []   # (step, wall, CPU)

        def timed(name, step):
            wall, cpu = time.perf_counter(), time.process_time()
            result = step()
            timings.append((name, time.perf_counter() - wall, time.process_time() - cpu))
            return result

        start, start_cpu = time.perf_counter(), time.process_time()
        data = timed("data (SQLite → dict)", lambda: report_data(
            conn, DOCUMENT, dt.date(2026, 3, 17), 1))
        conn.close()
        writers = {"csv": render.write_csv, "xlsx": render.write_xlsx, "pdf": render.write_pdf,
                   "json": lambda view, path: path.write_text(render.data_json(data), "utf-8")}
        for lang in LANGUAGES:
            (dest / lang).mkdir(parents=True, exist_ok=True)
            view = timed(f"{lang} view (labels, dates)", lambda: render.report_view(data, lang))
            for fmt in args.formats:
                timed(f"{lang} {fmt}", lambda: writers[fmt](view, dest / lang / f"report.{fmt}"))
        total, total_cpu = time.perf_counter() - start, time.process_time() - start_cpu
        chars = sum(len(r["text"]) for r in data["rows"])
        print(f"final report, {len(data['rows'])} published proposals "
              f"({chars / max(len(data['rows']), 1):.0f} characters on average), "
              f"formats: {', '.join(args.formats)}; kk + ru")
        print(f"  {'step':<26} {'wall':>8} {'CPU':>8}")
        for name, wall, cpu in timings:
            print(f"  {name:<26} {wall:8.2f} {cpu:8.2f} s")
        pdf = dest / "kk" / "report.pdf"
        if pdf.exists():
            print(f"  kk PDF size {pdf.stat().st_size / 1e6:.1f} MB")
        verdict = "meets" if total <= TARGET_SECONDS else "misses"
        print(f"total {total:.2f} s wall ({total_cpu:.2f} s CPU); "
              f"target ≤ {TARGET_SECONDS:.0f} s: {verdict} it")
        print(json.dumps({"proposals": len(data["rows"]), "formats": args.formats,
                          "total_seconds": round(total, 3), "cpu_seconds": round(total_cpu, 3),
                          "target_seconds": TARGET_SECONDS,
                          "steps": {k: round(w, 3) for k, w, _c in timings}},
                         ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
