"""Faults: the API killed with SIGKILL in the middle of a vote load loses no acknowledged vote;
a build killed mid-way leaves the served site unchanged."""
from __future__ import annotations

import http.client
import http.cookiejar
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from tests.helpers import OPEN, ROOT, Citizen, free_port, start

def test_kill_9_during_votes_loses_no_acknowledged_vote(app_factory, pki, tmp_path):
    app = app_factory()  # creates the database and the config the server process uses
    config = {k: app.config[k] for k in ("DATABASE", "MANIFEST", "LOCALE_DIR", "DECREES",
                                         "EDS_TRUSTED_CERTS", "EDS_REVOCATION", "EDS_CRLS")}
    config.update(RATELIMIT_VOTES="100000 per minute", SECRET_KEY="fault-test")
    port = free_port()
    server = start(config, port)
    citizens = []
    for n in range(1, 6):
        citizen = Citizen(f"http://127.0.0.1:{port}")
        citizen.sign_in(pki, f"person{n}")
        citizens.append(citizen)
    acknowledged: dict[int, str] = {}
    in_flight: dict[int, str] = {}
    stop = threading.Event()

    def load(i: int, citizen: Citizen) -> None:
        k = 0
        while not stop.is_set() and k < 100_000:
            value = "for" if (k + i) % 2 else "against"
            in_flight[i] = value
            try:
                citizen.call("POST", f"/api/documents/{OPEN}/votes", {"value": value}, timeout=2)
            except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError):
                return  # the server died under us: this vote was never acknowledged
            acknowledged[i] = value
            in_flight.pop(i, None)
            k += 1

    threads = [threading.Thread(target=load, args=(i, c)) for i, c in enumerate(citizens)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    os.kill(server.pid, signal.SIGKILL)  # in the middle of the load
    server.wait(timeout=10)
    stop.set()
    for t in threads:
        t.join(timeout=10)
    server.stdout.close()
    assert len(acknowledged) == 5, "the load never got going"

    server = start(config, port)  # after a restart, every acknowledged vote is there
    try:
        conn = sqlite3.connect(config["DATABASE"])
        rows = dict(conn.execute("SELECT person, value FROM votes WHERE target_id = ?", (OPEN,)))
        conn.close()
        assert len(rows) == 5
        from submit_api.identity import person_id
        for i in range(5):
            stored = rows[person_id(pki.leaf(f"person{i + 1}").iin, app.config["IDENTITY_KEY"])]
            assert stored in {acknowledged[i], in_flight.get(i, acknowledged[i])}
        totals = Citizen(f"http://127.0.0.1:{port}").call("GET", f"/api/documents/{OPEN}/totals")
        assert totals["votes"]["for"] + totals["votes"]["against"] == 5
        assert totals["votes"]["for"] == sum(1 for v in rows.values() if v == "for")
    finally:
        server.kill()
        server.wait(timeout=10)
        server.stdout.close()


BUILD = """
import datetime as dt, sys
from pathlib import Path
from generator.build import build
build(Path(sys.argv[1]), Path(sys.argv[2]), cache_dir=Path(sys.argv[3]), today=dt.date(2025, 3, 5))
"""


def test_build_killed_midway_leaves_the_served_site(small_content, build_site, tmp_path):
    from tests.helpers import write_document
    site = build_site(small_content)
    served = site.resolve()
    before = {p.relative_to(served): p.read_bytes() for p in served.rglob("*") if p.is_file()}
    for n in range(60):  # enough work that the kill lands mid-build
        write_document(small_content, f"BP-2026-225-{100 + n}")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", BUILD, str(small_content), str(site),
                             str(tmp_path / "cache-kill")], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    builds = site.parent / f".{site.name}.builds"
    deadline = time.time() + 60
    while time.time() < deadline and len(list(builds.iterdir())) < 2:
        time.sleep(0.01)  # wait until the new build directory exists, then kill it
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert site.resolve() == served
    after = {p.relative_to(served): p.read_bytes() for p in served.rglob("*") if p.is_file()}
    assert after == before  # the half-written directory is never served
    assert proc.returncode == -signal.SIGKILL
