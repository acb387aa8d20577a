"""Gunicorn under the vote benchmark (bench/api_load.py): start one server on a free loopback
port, wait until every worker answers, read its CPU counters, sample a worker with py-spy,
and stop it (TERM to the master, then KILL to its own process group)."""
from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

HOST = "127.0.0.1"
BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
TICKS = os.sysconf("SC_CLK_TCK")


class ServerFailed(RuntimeError):
    "The WSGI server did not start"


def venv_tool(name: str) -> str:
    """A console script next to this interpreter (the project's venv), else on PATH."""
    here = Path(sys.executable).parent / name
    if here.exists():
        return str(here)
    found = shutil.which(name)
    if not found:
        raise ServerFailed(f"{name} is not installed: .venv/bin/pip install {name}")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


class Gunicorn:
    """``gunicorn -k gthread -w W --threads T module:app`` on 127.0.0.1:<free port>."""

    def __init__(self, app: str, env: dict[str, str], *, workers: int, threads: int,
                 log_dir: Path, health: str, name: str):
        self.app, self.env, self.workers, self.threads = app, env, workers, threads
        self.health, self.name = health, name
        self.port = free_port()
        self.log = Path(log_dir) / f"gunicorn-{name}.log"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "Gunicorn":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self, timeout: float = 60) -> None:
        cmd = [venv_tool("gunicorn"), "-k", "gthread", "-w", str(self.workers),
               "--threads", str(self.threads), "-b", f"{HOST}:{self.port}",
               "--pythonpath", f"{PROJECT_ROOT},{BENCH_DIR}", "--log-level", "warning",
               "--error-logfile", str(self.log), "--graceful-timeout", "10", self.app]
        self.command = " ".join(cmd)
        self.proc = subprocess.Popen(cmd, env=self.env, cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerFailed(f"gunicorn ({self.name}) exited with {self.proc.returncode}:\n"
                                   + self.log_tail())
            if len(self.worker_pids()) >= self.workers and self._healthy():
                # one answer proves one worker; give the others a moment to finish booting
                time.sleep(0.5)
                if self.proc.poll() is None:
                    return
            time.sleep(0.1)
        self.stop()
        raise ServerFailed(f"gunicorn ({self.name}) did not answer within {timeout} s:\n"
                           + self.log_tail())

    def _healthy(self) -> bool:
        try:
            conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
            conn.request("GET", self.health)
            ok = conn.getresponse().status == 200
            conn.close()
            return ok
        except OSError:
            return False

    def worker_pids(self) -> list[int]:
        return _children(self.proc.pid) if self.proc else []

    def cpu_seconds(self) -> float:
        """CPU seconds used so far by the master and its current workers."""
        if not self.proc:
            return 0.0
        return _cpu_seconds(self.proc.pid) + sum(_cpu_seconds(p) for p in self.worker_pids())

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)  # graceful: workers finish their requests
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the group this script created for it
            proc.wait(timeout=10)


def py_spy_record(pid: int, seconds: float, out: Path, *, gil: bool, rate: int = 200) -> subprocess.Popen:
    """Start ``py-spy record`` on one worker (raw collapsed stacks, all its threads)."""
    cmd = [venv_tool("py-spy"), "record", "-p", str(pid), "-d", str(max(1, round(seconds))),
           "-r", str(rate), "-f", "raw", "-o", str(out), "--nonblocking"]
    if gil:
        cmd.append("--gil")
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
