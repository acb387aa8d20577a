"""Vote load benchmark: signed-in votes/s of the submission service under gunicorn, against a
bare Flask + SQLite upsert endpoint served by the same gunicorn with the same workers.

Target (TARGETS.md): with 50 concurrent clients on loopback, the signed-in vote endpoint keeps
>= 100 % of the baseline's throughput, a p99 no higher than the baseline's, and no acknowledged
vote is lost.

In a temporary folder the script

1. writes a small content tree (one open passport, one closed) and builds it with
   ``generator.build.build`` on a pinned day, for the manifest ``opendata/documents.json``;
   makes a test PKI with ``--clients`` persons (at least 50); ``ASHYQ_NOW`` pins the clock so
   the passport's discussion is open;
2. for each ``--synchronous`` mode (FULL is the app's default, NORMAL the faster one) and each
   of ``--rounds`` rounds:

   * raw SQLite (first round only): single-row upserts into the app's ``votes`` table
     in-process, one connection, one row per transaction, the app's own ``connect()`` (WAL,
     same PRAGMAs);
   * baselines: ``bench/api_baseline.py`` (POST /votes/<uid>/<person>, one upsert, nothing
     else) under ``gunicorn -k gthread -w W --threads T``, with one SQLite connection per
     server thread (the reference for the ratio) and with one per request (the Flask
     tutorial's pattern, which the app follows);
   * ashyq: ``bench/api_wsgi.py`` (``submit_api.create_app()`` configured by ``ASHYQ_*``
     variables, production mode, rate limits raised so they never refuse) under the same
     gunicorn command. The database is created and migrated, and the catalogs compiled, once
     before gunicorn starts (``create_app`` in several workers at once races on both). The
     clients sign in for real (csrf, challenge, XML signature with the test PKI,
     ``POST /api/auth/eds``) and keep their session cookie and CSRF token;

   each server gets the same load: ``--clients`` threads, one keep-alive ``http.client``
   connection each, POSTing votes alternating for/against without pause; requests completed in
   ``--duration`` seconds after ``--warmup`` seconds are measured. After the run the server
   is stopped and the SQLite file is read directly: every client's last acknowledged vote must
   be its row in the database, one row per voter, no other row (``--seed-votes N`` first adds
   N votes by other voters, to see the cost of a well-voted passport);
3. measures the CPU cost of one vote inside each WSGI app on one thread without a server
   (bench/api_inproc.py), with a cProfile of the ashyq app;
4. prints the table (scenario, synchronous, workers x threads, requests, votes/s, p50, p99,
   errors, ratio to the baseline, CPU used, votes kept; medians when ``--rounds`` > 1) as
   Markdown, the verdicts against the target, and with ``--profile`` (``auto``: when a target
   is missed) samples a single-worker ashyq server with py-spy under the same load and prints
   the hotspots.

    .venv/bin/python bench/api_load.py                       # 2 workers x 8 threads, 10 s
    .venv/bin/python bench/api_load.py -w 2 -t 8 --rounds 3 --out-json var/bench-api.json

Needs gunicorn (and py-spy for the profile) in the venv. Every server listens on 127.0.0.1 and
is stopped before the script exits; the exit status is 1 if an acknowledged vote was lost.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(BENCH_DIR))

from api_client import Client, LoadResult, check_votes, run_load, sign_in_all  # noqa: E402
from api_server import Gunicorn, ServerFailed, py_spy_record  # noqa: E402

BUILD_DAY = dt.date(2025, 3, 5)
PINNED_NOW = "2025-03-05T10:00:00+05:00"   # the passport below is open on this day
OPEN_UID = "BP-2026-225-001"
TARGET_RATIO = 1.00   # TARGETS.md: >= 100 % of the baseline's throughput, p99 <= the baseline's
NO_LIMIT = "1000000000 per minute"

# A small content tree like the tests' (one open passport of administrator 225), with the
# sample content's administrators and the synthetic passports' first parts.
from synthetic import PARTS as SYNTHETIC_PARTS  # noqa: E402

ADMINISTRATORS = (PROJECT_ROOT / "content" / "administrators.toml").read_text(encoding="utf-8")
PARTS = {lang: [(pid, title[lang]) for pid, title in SYNTHETIC_PARTS[:3]] for lang in ("kk", "ru")}


# --- preparation ---------------------------------------------------------------------------

def write_content(content: Path) -> None:
    """Two passports as in the tests' ``small_content``: one open on BUILD_DAY, one closed."""
    content.mkdir(parents=True)
    (content / "administrators.toml").write_text(ADMINISTRATORS, encoding="utf-8")
    for uid, posted, admin, budget in ((OPEN_UID, "2025-02-24", "225", "republican"),
                                       ("BP-2026-261-002", "2025-01-03", "261", "local")):
        folder = content / "discussions" / uid
        folder.mkdir(parents=True)
        for lang in ("kk", "ru"):
            title = {"kk": f"Бағдарлама {uid}", "ru": f"Программа {uid}"}[lang]
            head = {"kk": "Бағдарлама басшысы Ахметов А.", "ru": "Руководитель программы Ахметов А."}[lang]
            meta = {"uid": uid, "type": "passport", "title": title, "administrator": admin,
                    "program": "001", "budget_type": budget, "period": "2026-2028", "head": head,
                    "posted": posted}
            body = "Кіріспе мәтіні.\n\n" if lang == "kk" else "Вводный текст.\n\n"
            for pid, heading in PARTS[lang]:
                body += f"## {heading} {{#{pid}}}\n\nМәтін / текст {pid} {lang}.\n\n"
            text = "".join(f"{k}: {v}\n" for k, v in meta.items()) + "\n" + body
            (folder / f"{uid}.{lang}.md").write_text(text, encoding="utf-8")


def prepare_site(tmp: Path) -> Path:
    """Build the small site; returns the manifest, checked to hold OPEN_UID open today."""
    from generator.build import build
    from submit_api.manifest import Manifest

    content = tmp / "content"
    write_content(content)
    out = tmp / "site" / "out"
    build(content, out, cache_dir=tmp / "site" / "cache", today=BUILD_DAY,
          site_url="https://budget.example")
    manifest = out / "opendata" / "documents.json"
    doc = Manifest(manifest).get(OPEN_UID)
    if doc is None or doc.status(BUILD_DAY) != "open":
        raise SystemExit(f"{OPEN_UID} is not open in {manifest} on {BUILD_DAY}")
    return manifest


def base_env() -> dict[str, str]:
    """This environment without any ASHYQ_*/BENCH_* setting of the caller's."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("ASHYQ_", "BENCH_"))}


def ashyq_env(tmp: Path, manifest: Path, pki, database: Path, synchronous: str,
              secret: str, identity_key: str) -> dict[str, str]:
    env = base_env()
    env.update({
        "ASHYQ_ENV": "production",
        "ASHYQ_AUDIENCE": "https://budget.example",
        "ASHYQ_SECRET_KEY": secret,
        "ASHYQ_IDENTITY_KEY": identity_key,
        "ASHYQ_DATABASE": str(database),
        "ASHYQ_SQLITE_SYNCHRONOUS": synchronous,
        "ASHYQ_MANIFEST": str(manifest),
        "ASHYQ_DECREES": str(tmp / "content" / "decrees.toml"),
        "ASHYQ_LOCALE_DIR": str(tmp / "locale"),
        "ASHYQ_EDS_TRUSTED_CERTS": str(pki.trusted_bundle),
        "ASHYQ_EDS_REVOCATION": "crl",
        "ASHYQ_EDS_CRLS": json.dumps([str(p) for p in pki.crls]),
        "ASHYQ_RATELIMIT_PER_ADDRESS": NO_LIMIT,   # every client comes from 127.0.0.1
        "ASHYQ_RATELIMIT_VOTES": NO_LIMIT,
        "ASHYQ_RATELIMIT_SIGN_IN": NO_LIMIT,
        "ASHYQ_NOW": PINNED_NOW,
    })
    return env


def baseline_env(database: Path, synchronous: str) -> dict[str, str]:
    env = base_env()
    env.update({"BENCH_DATABASE": str(database), "BENCH_SQLITE_SYNCHRONOUS": synchronous})
    return env


def import_module_once(module: str, env: dict[str, str]) -> None:
    code = (f"import sys; sys.path[:0] = [{str(PROJECT_ROOT)!r}, {str(BENCH_DIR)!r}]; "
            f"import {module}")
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=PROJECT_ROOT,
                   timeout=300, stdout=subprocess.DEVNULL)


def seed_votes(database: Path, n: int, ashyq: bool) -> None:
    """Add ``n`` votes by other (``seed-``) voters on the open passport before the load."""
    if n <= 0:
        return
    conn = sqlite3.connect(database, timeout=10, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        if ashyq:
            conn.executemany("INSERT INTO votes (target_type, target_id, person, value, created_at, "
                             "updated_at) VALUES ('document', ?, ?, ?, ?, ?)",
                             ((OPEN_UID, f"seed-{i:08d}", ("for", "against")[i % 2], PINNED_NOW,
                               PINNED_NOW) for i in range(n)))
        else:
            conn.executemany("INSERT INTO votes (target_id, person, value, updated_at) VALUES (?, ?, ?, 0)",
                             ((OPEN_UID, f"seed-{i:08d}", ("for", "against")[i % 2]) for i in range(n)))
        conn.execute("COMMIT")
    finally:
        conn.close()


def read_rows(database: Path, sql: str, params: tuple) -> dict[str, str]:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)
    try:
        return dict(conn.execute(sql, params).fetchall())
    finally:
        conn.close()


# --- scenarios -----------------------------------------------------------------------------

def raw_sqlite(database: Path, synchronous: str, seconds: float, persons: int,
               max_transactions: int = 2_000_000) -> dict:
    """Single-row upsert transactions/s in-process with the app's own connect() and SQL."""
    from submit_api import db

    db.init_db(database)
    conn = db.connect(database, synchronous)
    sql = ("INSERT INTO votes (target_type, target_id, person, value, created_at, updated_at) "
           "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (target_type, target_id, person) "
           "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at")
    stamp = PINNED_NOW
    latencies = []
    clock = time.perf_counter
    started = clock()
    end = started + seconds
    n = 0
    while n < max_transactions:
        t0 = clock()
        if t0 >= end:
            break
        conn.execute(sql, ("document", OPEN_UID, f"p{n % persons}", ("for", "against")[n % 2],
                           stamp, stamp))  # autocommit: one transaction per statement
        latencies.append((clock() - t0) * 1000)
        n += 1
    elapsed = clock() - started
    conn.close()
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q / 100 * len(latencies)))]  # noqa: E731
    return {"scenario": "raw SQLite upsert, in-process", "synchronous": synchronous, "shape": "1 conn",
            "requests": n, "votes_per_s": n / elapsed, "p50_ms": pick(50), "p99_ms": pick(99),
            "errors": 0}


def measure(server: Gunicorn, clients: list[Client], args) -> tuple[LoadResult, float]:
    """Run the load against a started server; returns the result and server CPU cores used."""
    marks = {}
    result = run_load(server.port, clients, warmup=args.warmup, duration=args.duration,
                      on_window_start=lambda: marks.__setitem__("start", server.cpu_seconds()),
                      on_window_end=lambda: marks.__setitem__("end", server.cpu_seconds()))
    return result, (marks["end"] - marks["start"]) / result.seconds


def summarize(name: str, synchronous: str, args, result: LoadResult, server_cores: float,
              check: dict, extra: dict | None = None) -> dict:
    row = {"scenario": name, "synchronous": synchronous,
           "shape": f"{args.workers}×{args.threads}", "clients": args.clients,
           "requests": result.requests, "votes_per_s": result.ok / result.seconds,
           "p50_ms": result.percentile(50), "p99_ms": result.percentile(99),
           "p999_ms": result.percentile(99.9), "max_ms": max(result.latencies_ms, default=0),
           "errors": result.errors, "statuses": {str(k): v for k, v in sorted(result.statuses.items())},
           "server_cores": server_cores, "client_cores": result.client_cpu_seconds / result.seconds,
           "all_requests": result.all_requests, "check": check}
    row.update(extra or {})
    return row


BASELINE_NAMES = {"thread": "baseline: bare Flask upsert, connection per thread",
                  "request": "baseline: bare Flask upsert, connection per request"}


def run_baseline(tmp: Path, synchronous: str, args, round_no: int, connection: str) -> dict:
    name = f"baseline-{connection}-{synchronous}-{round_no}"
    database = tmp / f"{name}.sqlite3"
    env = baseline_env(database, synchronous)
    env["BENCH_CONNECTION"] = connection
    import_module_once("api_baseline", env)
    seed_votes(database, args.seed_votes, ashyq=False)
    clients = [Client(i, f"/votes/{OPEN_UID}/p{i}", f"p{i}") for i in range(args.clients)]
    with Gunicorn("api_baseline:app", env, workers=args.workers, threads=args.threads,
                  log_dir=tmp, health="/health", name=name) as server:
        command = server.command
        result, cores = measure(server, clients, args)
    rows = read_rows(database, "SELECT person, value FROM votes WHERE target_id = ? "
                     "AND person NOT LIKE 'seed-%'", (OPEN_UID,))
    row = summarize(BASELINE_NAMES[connection], synchronous, args, result, cores,
                    check_votes(clients, rows))
    row["command"] = f"BENCH_CONNECTION={connection} {command}"
    return row


def start_ashyq(tmp: Path, synchronous: str, args, pki, name: str, workers: int) -> tuple[Gunicorn, Path, list[Client]]:
    from submit_api.identity import person_id

    database = tmp / f"{name}.sqlite3"
    env = ashyq_env(tmp, args.manifest, pki, database, synchronous, args.secret, args.identity_key)
    import_module_once(args.app_module.split(":")[0], env)
    seed_votes(database, args.seed_votes, ashyq=True)
    server = Gunicorn(args.app_module, env, workers=workers, threads=args.threads, log_dir=tmp,
                      health="/api/health", name=name)
    server.start()
    try:
        clients = [Client(i, f"/api/documents/{OPEN_UID}/votes",
                          person_id(pki.person(i + 1).iin, args.identity_key))
                   for i in range(args.clients)]
        seconds = sign_in_all(server.port, clients,
                              lambda xml, c: pki.sign_xml(xml, who=f"person{c.index + 1}"))
        print(f"  {args.clients} clients signed in in {seconds:.1f} s", flush=True)
    except BaseException:
        server.stop()
        raise
    return server, database, clients


def run_ashyq(tmp: Path, synchronous: str, args, pki, round_no: int) -> dict:
    server, database, clients = start_ashyq(tmp, synchronous, args, pki,
                                            f"ashyq-{synchronous}-{round_no}", args.workers)
    try:
        command = server.command
        result, cores = measure(server, clients, args)
    finally:
        server.stop()
    rows = read_rows(database, "SELECT person, value FROM votes WHERE target_type = 'document' "
                     "AND target_id = ? AND person NOT LIKE 'seed-%'", (OPEN_UID,))
    row = summarize("ashyq (signed-in vote)", synchronous, args, result, cores,
                    check_votes(clients, rows))
    row["command"] = command
    return row


# --- in-process cost -----------------------------------------------------------------------

def inproc(tmp: Path, args, pki, synchronous: str, which: str, connection: str = "thread",
           cprofile: bool = False) -> dict:
    """bench/api_inproc.py in a child with the server's environment: one thread, no server."""
    if which == "ashyq":
        database = tmp / f"inproc-ashyq-{synchronous}.sqlite3"
        env = ashyq_env(tmp, args.manifest, pki, database, synchronous, args.secret, args.identity_key)
        extra = ["--pki", str(pki.dest), "--module", args.app_module]
        name = "ashyq (signed-in vote)"
    else:
        env = baseline_env(tmp / f"inproc-{connection}-{synchronous}.sqlite3", synchronous)
        env["BENCH_CONNECTION"] = connection
        extra = []
        name = BASELINE_NAMES[connection]
    cmd = [sys.executable, str(BENCH_DIR / "api_inproc.py"), which, "--uid", OPEN_UID,
           "--requests", str(args.inproc_requests), "--top", str(args.profile_top), *extra]
    if cprofile:
        cmd += ["--cprofile", str(tmp / f"inproc-{which}.prof")]
    with open(tmp / f"inproc-{which}-{connection}-{synchronous}.log", "w") as log:
        done = subprocess.run(cmd, env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=log,
                              text=True, timeout=600)
    if done.returncode:
        raise RuntimeError(f"api_inproc.py {which} failed ({done.returncode}); see {log.name}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result.update({"scenario": name, "synchronous": synchronous})
    return result


def inproc_table(rows: list[dict]) -> str:
    lines = ["| app, one thread, no server | synchronous | requests | µs per vote (wall) "
             "| CPU µs per vote | responses |", "|---|---|---|---|---|---|"]
    for r in rows:
        statuses = ", ".join(f"{k}: {v}" for k, v in r["statuses"].items())
        lines.append(f"| {r['scenario']} | {r['synchronous']} | {r['requests']:,} "
                     f"| {r['us_per_request']:,.0f} | {r['cpu_us_per_request']:,.0f} | {statuses} |")
    return "\n".join(lines)


# --- profile -------------------------------------------------------------------------------

def _frame_key(frame: str) -> str:
    """``func (path:line)`` -> ``func (short/path)``."""
    name, _, rest = frame.partition(" (")
    path = rest.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", str(PROJECT_ROOT) + "/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})"


def hotspots(raw: Path, top: int) -> dict:
    """Self and inclusive sample shares per function from py-spy's raw collapsed stacks."""
    own, inclusive, total = Counter(), Counter(), 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_frame_key(f) for f in stack.split(";") if f]
        if not frames:
            continue
        total += n
        own[frames[-1]] += n
        for key in set(frames):
            inclusive[key] += n
    share = lambda c: [(k, round(100 * v / total, 1)) for k, v in c.most_common(top)]  # noqa: E731
    return {"samples": total, "self": share(own), "inclusive": share(inclusive)}


def run_profile(tmp: Path, synchronous: str, args, pki) -> dict:
    """One worker, same threads and load; py-spy samples it for the measured window twice at
    once: every non-idle thread (wall) and only the thread holding the GIL (cpu)."""
    server, database, clients = start_ashyq(tmp, synchronous, args, pki, f"profile-{synchronous}", 1)
    spies = {}
    try:
        worker = server.worker_pids()[0]

        def start_spies():
            for mode in ("gil", "wall"):
                out = tmp / f"py-spy-{mode}.txt"
                spies[mode] = (out, py_spy_record(worker, args.duration, out, gil=mode == "gil"))

        marks = {}
        result = run_load(server.port, clients, warmup=args.warmup, duration=args.duration,
                          on_window_start=lambda: (marks.__setitem__("start", server.cpu_seconds()),
                                                   start_spies()),
                          on_window_end=lambda: marks.__setitem__("end", server.cpu_seconds()))
        cores = (marks["end"] - marks["start"]) / result.seconds
        for mode, (out, proc) in spies.items():
            try:
                _, err = proc.communicate(timeout=args.duration + 60)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
            if proc.returncode:
                print(f"  py-spy ({mode}) exited {proc.returncode}: {err.decode(errors='replace')[-500:]}")
    finally:
        server.stop()
    row = summarize("ashyq, 1 worker, profiled", synchronous, args, result, cores, {})
    row["shape"] = f"1×{args.threads}"
    profile = {"row": row}
    for mode, (out, _proc) in spies.items():
        if out.exists():
            profile[mode] = hotspots(out, args.profile_top)
    return profile


# --- report --------------------------------------------------------------------------------

def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in
                  Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
                 platform.processor())
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    try:
        import gunicorn
        gunicorn_version = gunicorn.__version__
    except ImportError:
        gunicorn_version = "?"
    return {"nproc": os.cpu_count(), "cpu": model, "ram_gib": round(mem_kb / 2**20, 1),
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "gunicorn": gunicorn_version, "kernel": platform.release()}


def table(rows: list[dict]) -> str:
    head = ("| scenario | synchronous | workers×threads | requests | votes/s | p50 ms | p99 ms "
            "| errors | ratio to baseline | server CPU (cores) | client CPU (cores) | acknowledged votes kept |")
    lines = [head, "|" + "|".join("---" for _ in range(head.count("|") - 1)) + "|"]
    for r in rows:
        ratio = f"{r['ratio']:.0%}" if r.get("ratio") is not None else "—"
        check = r.get("check") or {}
        kept = ("yes" if check.get("ok") else f"NO ({check.get('lost')} lost)") if check else "—"
        if check:
            kept += f" ({check['rows']} rows)"
        cpu = lambda key: f"{r[key]:.2f}" if key in r else "—"  # noqa: E731
        ms = lambda v: f"{v:.3f}" if v < 1 else f"{v:.1f}"  # noqa: E731
        lines.append(f"| {r['scenario']} | {r['synchronous']} | {r['shape']} | {r['requests']:,} "
                     f"| {r['votes_per_s']:,.0f} | {ms(r['p50_ms'])} | {ms(r['p99_ms'])} "
                     f"| {r['errors']} | {ratio} | {cpu('server_cores')} | {cpu('client_cores')} | {kept} |")
    return "\n".join(lines)


def combine_rounds(rows: list[dict]) -> list[dict]:
    """One row per (scenario, synchronous): medians of votes/s, p50 and p99 over the rounds,
    requests and errors summed, votes kept only if kept in every round; ratios of medians."""
    import statistics

    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["scenario"], r["synchronous"]), []).append(r)
    out = []
    for (_scenario, _sync), group in groups.items():
        row = dict(group[0])
        row["rounds"] = len(group)
        if len(group) > 1:
            for key in ("votes_per_s", "p50_ms", "p99_ms", "server_cores", "client_cores"):
                if key in row:
                    row[key] = statistics.median(g[key] for g in group)
            row["requests"] = sum(g["requests"] for g in group)
            row["errors"] = sum(g["errors"] for g in group)
            row["votes_per_s_rounds"] = [round(g["votes_per_s"]) for g in group]
            row["p99_ms_rounds"] = [round(g["p99_ms"], 1) for g in group]
            if "check" in row:
                row["check"] = dict(group[0]["check"], ok=all(g["check"]["ok"] for g in group),
                                    lost=sum(g["check"]["lost"] for g in group))
        out.append(row)
    for row in out:
        reference = next((r for r in out if r["scenario"] == row.get("reference")
                          and r["synchronous"] == row["synchronous"]), None)
        if reference and reference["votes_per_s"]:
            row["ratio"] = row["votes_per_s"] / reference["votes_per_s"]
    return out


def verdicts(rows: list[dict]) -> list[str]:
    out = []
    for r in rows:
        if not r["scenario"].startswith("ashyq ("):
            continue
        misses = []
        if r["ratio"] is not None and r["ratio"] < TARGET_RATIO:
            misses.append(f"throughput {r['ratio']:.0%} of baseline < {TARGET_RATIO:.0%}")
        reference = next((b for b in rows if b["scenario"] == r.get("reference")
                          and b["synchronous"] == r["synchronous"]), None)
        if reference and r["p99_ms"] > reference["p99_ms"]:
            misses.append(f"p99 {r['p99_ms']:.1f} ms > the baseline's {reference['p99_ms']:.1f} ms")
        if not r["check"].get("ok"):
            misses.append("acknowledged votes lost or miscounted")
        state = "MEETS the target" if not misses else "MISSES the target: " + "; ".join(misses)
        out.append(f"synchronous={r['synchronous']}: {state}")
    return out


def print_profile(profile: dict) -> None:
    r = profile["row"]
    print(f"\nProfile: 1 worker × {r['shape'].split('×')[1]} threads, synchronous={r['synchronous']}: "
          f"{r['votes_per_s']:,.0f} votes/s, p99 {r['p99_ms']:.1f} ms, server CPU {r['server_cores']:.2f} cores")
    for mode, title in (("gil", "holding the GIL (CPU spent in Python and C under the GIL)"),
                        ("wall", "all non-idle threads (includes I/O and waits outside the GIL)")):
        data = profile.get(mode)
        if not data:
            print(f"  no {mode} profile")
            continue
        print(f"\n  py-spy, {title}: {data['samples']} samples")
        print("  inclusive %:")
        for key, pct in data["inclusive"]:
            print(f"    {pct:5.1f}  {key}")
        print("  self %:")
        for key, pct in data["self"][:15]:
            print(f"    {pct:5.1f}  {key}")
    data = profile.get("inproc")
    if data:
        print(f"\n  cProfile of {data['requests']:,} votes through the WSGI app on one thread "
              f"(no server; {data['cpu_us_per_request']:,.0f} CPU µs per vote unprofiled):")
        print("  cumulative %   calls/vote  function")
        for key, calls, pct in data["by_cumulative"]:
            print(f"    {pct:5.1f}  {calls:8.2f}  {key}")
        print("  own %          calls/vote  function")
        for key, calls, pct in data["by_own"][:20]:
            print(f"    {pct:5.1f}  {calls:8.2f}  {key}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-w", "--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("-t", "--threads", type=int, default=8, help="threads per gthread worker (default 8)")
    parser.add_argument("-c", "--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds (default 10)")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds (default 3)")
    parser.add_argument("--synchronous", nargs="+", choices=("FULL", "NORMAL"), default=["FULL", "NORMAL"])
    parser.add_argument("--baseline-connections", nargs="+", choices=("thread", "request"),
                        default=["thread", "request"],
                        help="baselines to run; the first is the reference for the ratio")
    parser.add_argument("--app-module", default="api_wsgi:app",
                        help="WSGI app gunicorn serves as ashyq (to try a variant; default api_wsgi:app)")
    parser.add_argument("--seed-votes", type=int, default=0,
                        help="votes by other voters already on the passport (default 0)")
    parser.add_argument("--rounds", type=int, default=1, help="repeat baseline + ashyq N times")
    parser.add_argument("--sqlite-seconds", type=float, default=3.0, help="raw SQLite run (0: skip)")
    parser.add_argument("--profile", choices=("auto", "always", "never"), default="auto",
                        help="py-spy a single-worker run: auto = when a target is missed")
    parser.add_argument("--profile-top", type=int, default=25)
    parser.add_argument("--inproc-requests", type=int, default=3000,
                        help="votes per in-process measurement (0: skip)")
    parser.add_argument("--out-json", type=Path, help="write every figure here")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 500 or args.duration <= 0 or args.duration > 600 or args.rounds > 10:
        parser.error("clients 1..500, duration 0..600 s, rounds <= 10")

    os.environ["ASHYQ_NOW"] = PINNED_NOW  # this process's manifest check and raw SQLite stamps
    tmp = Path(tempfile.mkdtemp(prefix="ashyq-api-load-"))
    try:
        from submit_api.eds.testpki import make_test_pki

        load_before = os.getloadavg()
        print(f"preparing in {tmp}; load average {load_before[0]:.2f} {load_before[1]:.2f} "
              f"{load_before[2]:.2f}", flush=True)
        args.manifest = prepare_site(tmp)
        pki = make_test_pki(tmp / "pki", persons=max(50, args.clients))
        args.secret = "bench-" + secrets.token_hex(16)
        args.identity_key = "bench-" + secrets.token_hex(16)
        rows: list[dict] = []
        for round_no in range(1, args.rounds + 1):
            for sync in args.synchronous:
                if args.sqlite_seconds > 0 and round_no == 1:
                    print(f"raw SQLite, synchronous={sync}", flush=True)
                    rows.append(raw_sqlite(tmp / f"raw-{sync}.sqlite3", sync, args.sqlite_seconds,
                                           args.clients))
                bases = []
                for connection in args.baseline_connections:
                    print(f"baseline (connection per {connection}), synchronous={sync}, "
                          f"round {round_no}", flush=True)
                    bases.append(run_baseline(tmp, sync, args, round_no, connection))
                print(f"ashyq, synchronous={sync}, round {round_no}", flush=True)
                app = run_ashyq(tmp, sync, args, pki, round_no)
                reference = bases[0]["votes_per_s"]  # the first baseline is the target's
                for r in bases + [app]:
                    r["ratio"] = r["votes_per_s"] / reference if reference else None
                    r["reference"] = bases[0]["scenario"]
                rows.extend(bases + [app])
                for r in bases + [app]:
                    print(f"  {r['scenario']}: {r['votes_per_s']:,.0f} votes/s, p50 {r['p50_ms']:.1f} ms, "
                          f"p99 {r['p99_ms']:.1f} ms, errors {r['errors']}, kept {r['check']['ok']}",
                          flush=True)
        inproc_rows = []
        profile_wanted = args.profile == "always"
        if args.inproc_requests > 0:
            for sync in args.synchronous:
                print(f"in-process cost, synchronous={sync}", flush=True)
                inproc_rows.append(inproc(tmp, args, pki, sync, "ashyq",
                                          cprofile=sync == args.synchronous[0] and args.profile != "never"))
                for connection in args.baseline_connections:
                    inproc_rows.append(inproc(tmp, args, pki, sync, "baseline", connection))
        info = machine()
        info["loadavg_before"] = [round(x, 2) for x in load_before]
        info["loadavg_after_load_runs"] = [round(x, 2) for x in os.getloadavg()]
        print(f"\n{info['nproc']} × {info['cpu']}, {info['ram_gib']} GiB, Python {info['python']}, "
              f"SQLite {info['sqlite']}, gunicorn {info['gunicorn']}; {args.clients} clients, "
              f"{args.warmup:g} s warm-up + {args.duration:g} s measured; load average before "
              f"{info['loadavg_before'][0]:.2f}, after the load runs {info['loadavg_after_load_runs'][0]:.2f} "
              "(this script's own load included)\n")
        summary = combine_rounds(rows)
        if args.rounds > 1:
            print(f"medians over {args.rounds} rounds (votes/s, p50, p99, CPU); requests and errors summed:\n")
        print(table(summary))
        if args.rounds > 1:
            print("\nround by round:\n")
            print(table(rows))
        if inproc_rows:
            print()
            print(inproc_table(inproc_rows))
        lines = verdicts(summary)
        print("\n" + "\n".join(lines))
        missed = any("MISSES" in line for line in lines)
        profile = None
        if profile_wanted or (args.profile == "auto" and missed):
            sync = args.synchronous[0]
            print(f"\nprofiling a single ashyq worker, synchronous={sync}", flush=True)
            try:
                profile = run_profile(tmp, sync, args, pki)
                profile["inproc"] = next((r for r in inproc_rows if "by_cumulative" in r), None)
                print_profile(profile)
            except (OSError, ServerFailed, subprocess.SubprocessError) as exc:
                print(f"profile failed: {exc}")
        if args.out_json:
            args.out_json.parent.mkdir(parents=True, exist_ok=True)
            args.out_json.write_text(json.dumps(
                {"date": dt.datetime.now().isoformat(timespec="seconds"), "machine": info,
                 "settings": {k: v for k, v in vars(args).items()
                              if k in ("workers", "threads", "clients", "duration", "warmup",
                                       "synchronous", "rounds", "baseline_connections",
                                       "seed_votes", "app_module")},
                 "summary": summary, "rows": rows, "inproc": [{k: v for k, v in r.items() if not k.startswith("by_")}
                                          for r in inproc_rows],
                 "verdicts": lines, "profile": profile},
                indent=2, default=str), encoding="utf-8")
            print(f"\nwrote {args.out_json}")
        lost = any(r.get("check") and not r["check"].get("ok") for r in rows)
        return 1 if lost else 0
    finally:
        if args.keep_tmp:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
