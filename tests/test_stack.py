"""The production stack for real: nginx (Debian's, run as the current user with its own
configuration, pid and logs under a temporary prefix) serving the built site and proxying /api/
and /office/ to gunicorn running ``submit_api.wsgi:app``, and ``ashyq worker`` as its own
process. A citizen signs in with a test-PKI signature, votes and sends a proposal through
nginx; the headers are the code's; a forged X-Forwarded-For does not move the client's bucket."""
from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from http.cookies import SimpleCookie

import pytest

from tests.helpers import ACCEPT_LANGUAGE, OPEN, ROOT, free_port, write_document

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
pytestmark = pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx is not installed")


class Browser:
    """Plain HTTP with a cookie jar that, like a browser behind TLS, sends Secure cookies
    (nginx terminates TLS in production; here the hop is plain HTTP on loopback)."""

    def __init__(self, port: int):
        self.port, self.cookies, self.token = port, {}, ""

    def request(self, method: str, path: str, body=None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"Content-Type": "application/json", "X-CSRFToken": self.token, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, json.dumps(body) if body is not None else None, sent)
        response = conn.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        conn.close()
        return response, data

    def json(self, method: str, path: str, body=None, **headers):
        response, data = self.request(method, path, body, headers)
        return response.status, json.loads(data)


def wait_until_up(port: int, procs: list[subprocess.Popen], path: str = "/api/health") -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for proc in procs:
            assert proc.poll() is None, f"{proc.args[:3]} exited with {proc.returncode}"
        try:
            response, _ = Browser(port).request("GET", path)
            if response.status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("the stack did not come up")


@pytest.fixture
def stack(tmp_path, small_content, build_site, pki):
    """nginx + gunicorn (2 workers) + the rebuild worker over a real build; yields the port."""
    from portal.deploy import NginxSite, nginx_main, render_nginx

    site = build_site(small_content)
    prefix = tmp_path / "nginx"
    (prefix / "tmp").mkdir(parents=True)
    web_port, api_port = free_port(), free_port()
    conf = prefix / "ashyq.conf"
    conf.write_text(render_nginx(NginxSite(site, f"127.0.0.1:{api_port}", f"127.0.0.1:{web_port}")))
    (prefix / "nginx.conf").write_text(nginx_main(conf, prefix))
    env = dict(os.environ, PYTHONPATH=str(ROOT), ASHYQ_ENV="production",
               ASHYQ_AUDIENCE="https://budget.example", ASHYQ_SECRET_KEY="stack-test-secret",
               ASHYQ_IDENTITY_KEY="stack-test-identity", ASHYQ_DATABASE=str(tmp_path / "db.sqlite3"),
               ASHYQ_CONTENT=str(small_content), ASHYQ_OUTPUT=str(site),
               ASHYQ_CACHE_DIR=str(tmp_path / "cache"),
               ASHYQ_LOCALE_DIR=str(tmp_path / "locale"), ASHYQ_REPORTS_DIR=str(tmp_path / "reports"),
               ASHYQ_MAIL_OUTBOX=str(tmp_path / "outbox"),
               ASHYQ_DECREES=str(small_content / "decrees.toml"),
               ASHYQ_ADMINISTRATORS=str(small_content / "administrators.toml"),
               ASHYQ_EDS_TRUSTED_CERTS=str(pki.trusted_bundle), ASHYQ_EDS_REVOCATION="crl",
               ASHYQ_EDS_CRLS=json.dumps([str(p) for p in pki.crls]),
               ASHYQ_INGEST_REBUILD_FLAG=str(tmp_path / "rebuild.flag"),
               ASHYQ_TRUSTED_PROXIES="1", ASHYQ_RATELIMIT_SIGN_IN="20 per minute",
               ASHYQ_BIND=f"127.0.0.1:{api_port}", ASHYQ_WORKERS="2", ASHYQ_THREADS="4")
    logs = tmp_path / "logs"
    logs.mkdir()
    procs = []

    def start(name: str, command: list[str]) -> None:
        with open(logs / f"{name}.log", "w") as log:
            procs.append(subprocess.Popen(command, env=env, cwd=ROOT, stdout=log,
                                          stderr=subprocess.STDOUT))

    try:
        start("gunicorn", [sys.executable, "-m", "gunicorn", "-c",
                           str(ROOT / "deploy" / "gunicorn.conf.py"), "submit_api.wsgi:app"])
        start("worker", [sys.executable, "-m", "portal.cli", "worker"])
        start("nginx", [NGINX, "-c", str(prefix / "nginx.conf"), "-p", str(prefix)])
        wait_until_up(web_port, procs)
        yield {"port": web_port, "site": site, "content": small_content, "procs": procs}
        for proc in procs:
            assert proc.poll() is None, f"{proc.args[:3]} died: see {logs}"
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes = [proc.wait(timeout=60) for proc in procs]
    assert codes == [0, 0, 0], "gunicorn, the worker and nginx stop cleanly on SIGTERM"


def test_a_citizen_journey_through_nginx(stack, pki, build_site):
    port = stack["port"]
    citizen = Browser(port)
    # "/" chooses the language as `ashyq serve` does: the same table (tests/test_web.py)
    for accept, lang in ACCEPT_LANGUAGE:
        headers = {"Accept-Language": accept} if accept is not None else {}
        response, _ = citizen.request("GET", "/", headers=headers)
        assert (response.status, response.headers["Location"]) == (302, f"/{lang}/"), accept
        assert "Accept-Language" in response.headers["Vary"]
    # sign in with a real signature (R13), vote (R11), send a proposal (R14)
    citizen.token = citizen.json("GET", "/api/csrf")[1]["csrf_token"]
    challenge = citizen.json("GET", "/api/auth/challenge")[1]["challenge"]
    signed = pki.sign_xml(challenge.encode(), who="person1").decode()
    status, body = citizen.json("POST", "/api/auth/eds", {"signed_xml": signed})
    assert status == 200, body
    citizen.token = body["csrf_token"]
    assert citizen.json("POST", f"/api/documents/{OPEN}/votes", {"value": "for"}) == \
        (200, {"ok": True, "value": "for"})
    status, body = citizen.json("POST", f"/api/documents/{OPEN}/proposals",
                                {"part": "purpose", "lang": "ru",
                                 "text": "Предлагаю добавить показатель охвата сельских школ."})
    assert status in (200, 201), body
    totals = citizen.json("GET", f"/api/documents/{OPEN}/totals")[1]
    assert totals["votes"] == {"for": 1, "against": 0} and totals["my_vote"] == "for"
    # a new build swapped in is served at once (the link is resolved per request)
    assert citizen.request("GET", "/ru/discussions/BP-2026-225-077/")[0].status == 404
    write_document(stack["content"], "BP-2026-225-077", posted="2025-03-03")
    build_site(stack["content"], out=stack["site"])
    assert citizen.request("GET", "/ru/discussions/BP-2026-225-077/")[0].status == 200


def test_headers_are_the_codes_own(stack):
    from ashyq.theme import IMMUTABLE, is_hashed
    from portal.deploy import HSTS, THEME_CACHE, header_sets

    sets = header_sets()
    browser = Browser(stack["port"])
    response, _ = browser.request("GET", f"/ru/discussions/{OPEN}/")
    assert response.status == 200
    for name, value in sets["page"].items():
        assert response.headers[name] == value, name
    assert response.headers["Strict-Transport-Security"] == HSTS
    assert response.headers["Cache-Control"] == "no-cache"
    etag = response.headers["ETag"]
    again, _ = browser.request("GET", f"/ru/discussions/{OPEN}/", headers={"If-None-Match": etag})
    assert again.status == 304
    # the page names its theme files by content hash: a year, immutable; plain names a day
    page = browser.request("GET", f"/ru/discussions/{OPEN}/")[1].decode()
    hashed = re.findall(r'(?:href|src)="(/theme/[^"]+)"', page)
    assert len(hashed) >= 5 and all(is_hashed(path) for path in hashed), hashed
    for path in hashed:
        theme, body = browser.request("GET", path)
        assert theme.status == 200 and theme.headers["Cache-Control"] == IMMUTABLE, path
        assert theme.headers["Content-Security-Policy"] == sets["page"]["Content-Security-Policy"]
        plain, plain_body = browser.request("GET", re.sub(r"\.[0-9a-f]{10}(\.\w+)$", r"\1", path))
        assert plain.headers["Cache-Control"] == THEME_CACHE and plain_body == body
    gone, _ = browser.request("GET", "/theme/css/site.0123456789.css")  # not (or no longer) built
    assert gone.status == 404 and gone.headers["Cache-Control"] == "no-cache"
    search, _ = browser.request("GET", "/kk/search/")
    assert "'wasm-unsafe-eval'" in search.headers["Content-Security-Policy"]
    for hidden in ("/.ashyq-build.json", "/.ashyq-theme.json", "/kk/.hidden"):  # build state
        response, body = browser.request("GET", hidden)
        assert response.status == 404 and b"<html" in body, hidden
    assert browser.request("GET", "/../.output.builds/")[0].status == 400  # nginx refuses
    response, body = browser.request("GET", "/ru/no-such-page/")
    assert response.status == 404 and "<html" in body.decode()
    api, _ = browser.request("GET", "/api/me")
    assert api.status == 200 and api.headers["Strict-Transport-Security"] == HSTS


def test_a_forged_x_forwarded_for_does_not_move_the_clients_bucket(stack):
    client = Browser(stack["port"])
    seen = []
    for forged in ("203.0.113.1", "203.0.113.2", "198.51.100.9, 203.0.113.3"):
        response, _ = client.request("GET", "/api/auth/challenge",
                                     headers={"X-Forwarded-For": forged})
        assert response.status == 200
        seen.append(int(response.headers["X-RateLimit-Remaining"]))
    assert seen == [seen[0], seen[0] - 1, seen[0] - 2]  # one bucket: the client's own address
    while seen[-1] > 0:
        response, _ = client.request("GET", "/api/auth/challenge",
                                     headers={"X-Forwarded-For": f"192.0.2.{len(seen)}"})
        seen.append(int(response.headers["X-RateLimit-Remaining"]))
    response, body = client.request("GET", "/api/auth/challenge",
                                    headers={"X-Forwarded-For": "192.0.2.200"})
    assert response.status == 429 and json.loads(body)["status"] == 429
