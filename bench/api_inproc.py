"""CPU cost of one vote inside the WSGI app, without a server or a network: part of the vote
load benchmark (bench/api_load.py runs it in a child process with the server's environment).

The app (``ashyq``: ``submit_api.create_app()`` from ``ASHYQ_*``; ``baseline``:
bench/api_baseline.py from ``BENCH_*``) is called directly as a WSGI callable, on one thread,
with a prepared environ: the same POST the load clients send (for ashyq after a real sign-in
through the test client: session cookie and CSRF token). One extra idle SQLite connection is
held open during the loop, as the other in-flight requests' connections are under load (with
none open, each per-request connection that closes checkpoints and deletes the WAL).

Prints JSON: microseconds per request (wall, on one thread), and with ``--cprofile`` the top
functions by own and cumulative time.

    ASHYQ_...=... .venv/bin/python bench/api_inproc.py ashyq --pki DIR --uid BP-2026-225-001
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sqlite3
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
sys.path[:0] = [str(PROJECT_ROOT), str(BENCH_DIR)]


def ashyq_request(pki_dir: Path, uid: str, module: str):
    import importlib

    from submit_api.eds.testpki import make_test_pki

    name, _, attr = module.partition(":")
    app = getattr(importlib.import_module(name), attr or "app")

    pki = make_test_pki(pki_dir, persons=50)
    client = app.test_client()
    token = client.get("/api/csrf").get_json()["csrf_token"]
    challenge = client.get("/api/auth/challenge").get_json()["challenge"]
    signed = pki.sign_xml(challenge.encode("utf-8"), who="person1").decode("utf-8")
    response = client.post("/api/auth/eds", json={"signed_xml": signed}, headers={"X-CSRFToken": token})
    if response.status_code != 200:
        raise SystemExit(f"sign-in failed: {response.status_code} {response.get_json()}")
    token = response.get_json()["csrf_token"]
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    headers = {"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}", "X-CSRFToken": token}
    return app, f"/api/documents/{uid}/votes", headers, app.config["DATABASE"]


def baseline_request(uid: str):
    from api_baseline import DATABASE, app
    return app, f"/votes/{uid}/p1", {}, DATABASE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("app", choices=("ashyq", "baseline"))
    parser.add_argument("--uid", required=True)
    parser.add_argument("--pki", type=Path, help="the test PKI folder (ashyq)")
    parser.add_argument("--module", default="api_wsgi:app", help="the ashyq WSGI app (module:attr)")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--cprofile", type=Path, help="also profile as many requests, dump here")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    if not 1 <= args.requests <= 1_000_000:
        parser.error("requests: 1..1000000")

    from werkzeug.test import EnvironBuilder

    if args.app == "ashyq":
        app, path, headers, database = ashyq_request(args.pki, args.uid, args.module)
    else:
        app, path, headers, database = baseline_request(args.uid)
    bodies = [json.dumps({"value": v}).encode() for v in ("for", "against")]
    environs = []
    for body in bodies:
        builder = EnvironBuilder(path=path, method="POST", data=body, headers=headers,
                                 content_type="application/json", environ_base={"REMOTE_ADDR": "127.0.0.1"})
        environs.append(builder.get_environ())
        builder.close()
    statuses: dict[str, int] = {}

    def start_response(status, _headers, _exc_info=None):
        statuses[status] = statuses.get(status, 0) + 1

    def call(i: int) -> None:
        environ = dict(environs[i % 2])
        environ["wsgi.input"] = io.BytesIO(bodies[i % 2])
        result = app(environ, start_response)
        try:
            b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()

    keep = sqlite3.connect(database)  # an idle connection, as under concurrent load
    keep.execute("SELECT count(*) FROM sqlite_master").fetchall()
    for i in range(200):  # warm-up
        call(i)
    statuses.clear()
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(args.requests):
        call(i)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    out = {"app": args.app, "requests": args.requests, "statuses": dict(statuses),
           "us_per_request": 1e6 * wall / args.requests, "cpu_us_per_request": 1e6 * cpu / args.requests}
    if args.cprofile:
        prof = cProfile.Profile()
        prof.enable()
        for i in range(args.requests):
            call(i)
        prof.disable()
        prof.dump_stats(str(args.cprofile))
        stats = pstats.Stats(prof)
        total = stats.total_tt  # type: ignore[attr-defined]
        rows = []
        for (file, line, name), (_cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            short = file
            for marker in ("site-packages/", str(PROJECT_ROOT) + "/", "/lib/python3.11/"):
                if marker in file:
                    short = file.split(marker, 1)[1]
                    break
            rows.append((f"{name} ({short}:{line})", nc / args.requests, tt, ct))
        out["profile_total_s"] = total
        out["by_cumulative"] = [(k, round(n, 2), round(100 * ct / total, 1))
                                for k, n, _tt, ct in sorted(rows, key=lambda r: -r[3])[:args.top]]
        out["by_own"] = [(k, round(n, 2), round(100 * tt / total, 1))
                         for k, n, tt, _ct in sorted(rows, key=lambda r: -r[2])[:args.top]]
    keep.close()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
