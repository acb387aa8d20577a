"""Load clients of the vote benchmark (bench/api_load.py): sign-in over HTTP with a test-PKI
signature, and N keep-alive clients (one thread and one ``http.client`` connection each) that
POST votes alternating "for" and "against" until a deadline.

Every request's completion time, latency and status are kept. Each client also remembers the
last value the server acknowledged (200 with that value in the body) and the values whose
outcome is unknown (no response, or a 5xx that may have come after the commit), so that the
database can be checked afterwards: no acknowledged vote may be lost.
"""
from __future__ import annotations

import http.client
import json
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

HOST = "127.0.0.1"  # all load goes to loopback
REQUEST_TIMEOUT = 30.0
VALUES = ("for", "against")


class SignInFailed(RuntimeError):
    "A benchmark client could not sign in"


@dataclass
class Client:
    """One simulated voter: its path, its cookies and CSRF token, and what was acknowledged."""

    index: int
    path: str
    person: str                       # what the database stores for this voter
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str | None = None
    acked: str | None = None          # the last value the server acknowledged
    unknown: set[str] = field(default_factory=set)  # values sent since, outcome unknown
    records: list[tuple[float, float, int]] = field(default_factory=list)  # (done, latency, status)

    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.csrf:
            headers["X-CSRFToken"] = self.csrf
        return headers

    def take_cookies(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or ():
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel.value and morsel["expires"] != "Thu, 01 Jan 1970 00:00:00 GMT":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)


def _call(conn: http.client.HTTPConnection, client: Client, method: str, path: str,
          body: dict | None = None) -> tuple[int, dict]:
    payload = json.dumps(body).encode() if body is not None else None
    conn.request(method, path, payload, client.headers())
    response = conn.getresponse()
    data = response.read()
    client.take_cookies(response)
    try:
        parsed = json.loads(data) if data else {}
    except ValueError:
        parsed = {"raw": data[:200].decode("utf-8", "replace")}
    return response.status, parsed


def sign_in(port: int, client: Client, sign) -> None:
    """GET /api/csrf, GET /api/auth/challenge, sign it, POST /api/auth/eds, check /api/me.

    ``sign(challenge_bytes) -> signed_bytes`` signs as this client's person.
    """
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        status, body = _call(conn, client, "GET", "/api/csrf")
        if status != 200:
            raise SignInFailed(f"client {client.index}: GET /api/csrf {status} {body}")
        client.csrf = body["csrf_token"]
        status, body = _call(conn, client, "GET", "/api/auth/challenge")
        if status != 200:
            raise SignInFailed(f"client {client.index}: GET /api/auth/challenge {status} {body}")
        signed = sign(body["challenge"].encode("utf-8")).decode("utf-8")
        status, body = _call(conn, client, "POST", "/api/auth/eds", {"signed_xml": signed})
        if status != 200 or not body.get("signed_in"):
            raise SignInFailed(f"client {client.index}: POST /api/auth/eds {status} {body}")
        client.csrf = body["csrf_token"]  # the session was renewed: its token is new too
        status, body = _call(conn, client, "GET", "/api/me")
        if status != 200 or not body.get("signed_in"):
            raise SignInFailed(f"client {client.index}: not signed in after sign-in: {status} {body}")
    finally:
        conn.close()


def sign_in_all(port: int, clients: list[Client], signer, parallel: int = 4) -> float:
    """Sign every client in, ``parallel`` at a time; returns the seconds it took."""
    started = time.perf_counter()
    errors: list[BaseException] = []
    pending = list(clients)
    lock = threading.Lock()

    def work():
        while True:
            with lock:
                if not pending or errors:
                    return
                client = pending.pop()
            try:
                sign_in(port, client, lambda xml, c=client: signer(xml, c))
            except BaseException as exc:  # noqa: BLE001 - reported below
                with lock:
                    errors.append(exc)

    threads = [threading.Thread(target=work, daemon=True) for _ in range(parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    if errors:
        raise errors[0]
    if any(t.is_alive() for t in threads):
        raise SignInFailed("sign-in did not finish within 300 s")
    return time.perf_counter() - started


def _vote_loop(port: int, client: Client, start: threading.Event, deadline_box: list[float],
               max_requests: int) -> None:
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    headers = client.headers()
    bodies = [json.dumps({"value": v}).encode() for v in VALUES]
    acks = [f'"value":"{v}"'.encode() for v in VALUES]
    records = client.records
    clock = time.perf_counter
    start.wait()
    deadline = deadline_box[0]
    turn = client.index % 2  # half the clients start "for", half "against"
    for _ in range(max_requests):
        began = clock()
        if began >= deadline:
            break
        value = VALUES[turn]
        try:
            conn.request("POST", client.path, bodies[turn], headers)
            response = conn.getresponse()
            data = response.read()
            status = response.status
            if response.getheader("Set-Cookie"):
                client.take_cookies(response)
                headers = client.headers()
        except (OSError, http.client.HTTPException):
            status, data = 0, b""
            conn.close()
            conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
        done = clock()
        records.append((done, done - began, status))
        if status == 200 and acks[turn] in data.replace(b" ", b""):
            client.acked = value
            client.unknown.clear()
        elif status == 0 or status >= 500:
            client.unknown.add(value)  # may or may not have been committed
        turn ^= 1
    conn.close()


@dataclass
class LoadResult:
    started: float            # perf_counter when the clients were released
    window: tuple[float, float]
    requests: int             # completed inside the measured window
    ok: int
    errors: int               # non-200 (or no response) inside the window
    statuses: dict[int, int]
    latencies_ms: list[float]
    client_cpu_seconds: float  # CPU used by this (client) process during the window
    all_requests: int          # warm-up included

    @property
    def seconds(self) -> float:
        return self.window[1] - self.window[0]

    def percentile(self, q: float) -> float:
        data = sorted(self.latencies_ms)
        if not data:
            return float("nan")
        k = min(len(data) - 1, max(0, round(q / 100 * len(data) + 0.5) - 1))  # nearest rank
        return data[k]


def run_load(port: int, clients: list[Client], *, warmup: float, duration: float,
             max_requests: int = 200_000, on_window_start=None, on_window_end=None) -> LoadResult:
    """Release all clients at once; measure the requests completed in [warmup, warmup+duration].

    ``on_window_start``/``on_window_end`` are called (from a timer thread) at the window's
    edges, e.g. to read the server's CPU counters.
    """
    for c in clients:
        c.records = []
    start = threading.Event()
    deadline_box = [0.0]
    threads = [threading.Thread(target=_vote_loop, args=(port, c, start, deadline_box, max_requests),
                                daemon=True, name=f"client-{c.index}") for c in clients]
    for t in threads:
        t.start()
    time.sleep(0.2)  # let every thread reach start.wait()
    t0 = time.perf_counter()
    window = (t0 + warmup, t0 + warmup + duration)
    deadline_box[0] = window[1]
    start.set()
    cpu_marks: dict[str, float] = {}

    def sleep_until(moment: float) -> None:
        while (left := moment - time.perf_counter()) > 0:
            time.sleep(min(left, 0.05))

    sleep_until(window[0])
    cpu_marks["start"] = time.process_time()
    if on_window_start:
        on_window_start()
    sleep_until(window[1])
    cpu_marks["end"] = time.process_time()
    if on_window_end:
        on_window_end()
    for t in threads:
        t.join(timeout=REQUEST_TIMEOUT + 5)
    if any(t.is_alive() for t in threads):
        raise RuntimeError("some load clients did not stop")

    latencies, statuses = [], {}
    ok = errors = total = 0
    for c in clients:
        total += len(c.records)
        for done, latency, status in c.records:
            if window[0] <= done < window[1]:
                latencies.append(latency * 1000)
                statuses[status] = statuses.get(status, 0) + 1
                if status == 200:
                    ok += 1
                else:
                    errors += 1
    return LoadResult(t0, window, len(latencies), ok, errors, statuses, latencies,
                      cpu_marks["end"] - cpu_marks["start"], total)


def check_votes(clients: list[Client], rows: dict[str, str]) -> dict:
    """Compare what the server acknowledged with the rows in the database (person -> value).

    A vote is lost when a client's last acknowledged value (or a later one whose outcome is
    unknown) is not what the database holds. There must be a row for every client with an
    acknowledged vote, at most one more for each client with only unknown outcomes, and no row
    for anyone else.
    """
    lost, expected = [], 0
    persons = {c.person for c in clients}
    for c in clients:
        allowed = ({c.acked} if c.acked else set()) | c.unknown
        if not allowed:
            continue
        expected += 1
        if c.acked and rows.get(c.person) not in allowed:
            lost.append({"client": c.index, "acknowledged": c.acked, "unknown": sorted(c.unknown),
                         "in_db": rows.get(c.person)})
    strangers = sorted(set(rows) - persons)
    acknowledged = sum(1 for c in clients if c.acked)
    return {"acknowledged_clients": acknowledged, "rows": len(rows), "expected_rows": expected,
            "lost": len(lost), "lost_detail": lost[:5], "strangers": len(strangers),
            "ambiguous_clients": sum(1 for c in clients if c.unknown),
            "ok": not lost and not strangers and acknowledged <= len(rows) <= expected}
