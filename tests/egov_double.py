"""Stand-ins for what cannot run here, speaking the real eGov mobile QR-signing protocol
(submit_api/egov/protocol.py has the sources):

- :class:`EgovMobileApp`: the eGov mobile / eGov Business app - a real HTTP client. It reads a
  QR text (``mobileSign:<url>``) or a deep link (``https://mgovsign.page.link/?link=<url>``),
  GETs the description (API No.1), GETs the documents (API No.2), signs every ``documentXml``
  with a key of the test PKI and PUTs them back.
- :class:`SigexBrokerDouble`: a SIGEX-like broker (``POST /api/egovQr``, ``dataURL``,
  ``signURL``) that serves API No.1/No.2 to the app itself.
"""
from __future__ import annotations

import base64
import io
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit


def service_url(link: str) -> str:
    """The service URL inside a QR text or a deep link."""
    if link.startswith("mobileSign:"):
        return link[len("mobileSign:"):]
    parts = urlsplit(link)
    assert parts.netloc in ("mgovsign.page.link", "egovbusiness.page.link"), link
    return parse_qs(parts.query)["link"][0]


def http(method: str, url: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode("utf-8") if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


class EgovMobileApp:
    """The app on the citizen's phone. ``who``: the test PKI leaf it signs with."""

    def __init__(self, pki, who: str = "person1"):
        self.pki, self.who = pki, who
        self.seen: list[tuple[str, str]] = []  # (method, url)

    def description(self, link: str) -> dict:
        url = service_url(link)
        self.seen.append(("GET", url))
        status, body = http("GET", url)
        assert status == 200, (status, body)
        return body

    def sign(self, link: str, *, tamper: bool = False, who: str | None = None,
             swap_xml: str | None = None) -> tuple[int, dict]:
        """The whole signing: API No.1, No.2 GET, sign, No.2 PUT; returns the PUT's answer."""
        info = self.description(link)
        assert info["document"]["auth_type"] == "None"
        doc_url = info["document"]["uri"]
        self.seen.append(("GET", doc_url))
        status, data = http("GET", doc_url)
        assert status == 200, (status, data)
        assert data["signMethod"] == "XML"
        for document in data["documentsToSign"]:
            xml = swap_xml or document["documentXml"]
            signed = self.pki.sign_xml(xml.encode("utf-8"), who=who or self.who).decode("utf-8")
            if tamper:
                signed = signed.replace("</nonce>", "</nonce><!-- -->").replace(
                    "<nonce>", "<nonce>0", 1)
            document["documentXml"] = signed
        self.seen.append(("PUT", doc_url))
        return http("PUT", doc_url, data)

    def put_again(self, link: str, body: dict) -> tuple[int, dict]:
        info_url = service_url(link) + "/document"
        return http("PUT", info_url, body)


class SigexBrokerDouble:
    """A SIGEX-like broker on 127.0.0.1 (ephemeral port)."""

    def __init__(self, hold: float = 5.0):
        self.ops: dict[str, dict] = {}
        self.hold = hold  # how long dataURL / signURL hold a request before answering "not yet"
        self.cond = threading.Condition()
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, status: int, body) -> None:
                raw = json.dumps(body).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _body(self):
                n = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(n) or b"{}")

            def do_POST(self):
                double.route(self, "POST")

            def do_GET(self):
                double.route(self, "GET")

            def do_PUT(self):
                double.route(self, "PUT")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def route(self, h, method: str) -> None:
        path = urlsplit(h.path).path.rstrip("/").split("/")
        if method == "POST" and path == ["", "api", "egovQr"]:
            return self.register(h, h._body())
        op = self.ops.get(path[3]) if len(path) > 4 else None
        if op is None:
            return h._json(404, {"message": "unknown operation"})
        step = "/".join(path[4:])
        if method == "POST" and step == "data":
            with self.cond:
                op["data"] = h._body()
                self.cond.notify_all()
                if not self.cond.wait_for(lambda: op["fetched"], timeout=self.hold):
                    return h._json(408, {"message": "not fetched yet"})
            return h._json(200, {})
        if method == "GET" and step == "sign":
            with self.cond:
                if not self.cond.wait_for(lambda: op["signed"] is not None, timeout=self.hold):
                    return h._json(408, {"message": "not signed yet"})
            return h._json(200, op["signed"])
        if method == "GET" and step == "app":
            return h._json(200, {"description": op["description"], "expiry_date": "",
                                 "organisation": {"nameRu": "SIGEX", "nameKz": "SIGEX",
                                                  "nameEn": "SIGEX", "bin": ""},
                                 "document": {"uri": f"{self.base}/api/egovQr/{path[3]}/app/document",
                                              "auth_type": "None", "auth_token": ""}})
        if step == "app/document" and method == "GET":
            with self.cond:
                if not self.cond.wait_for(lambda: op["data"] is not None, timeout=self.hold):
                    return h._json(404, {"message": "no data yet"})
                op["fetched"] = True
                self.cond.notify_all()
            return h._json(200, op["data"])
        if step == "app/document" and method == "PUT":
            with self.cond:
                op["signed"] = h._body()
                self.cond.notify_all()
            return h._json(200, {})
        return h._json(405, {"message": "unsupported"})

    def register(self, h, body: dict) -> None:
        import segno

        op_id = secrets.token_hex(8)
        self.ops[op_id] = {"description": body.get("description"), "data": None,
                           "fetched": False, "signed": None}
        app_url = f"{self.base}/api/egovQr/{op_id}/app"
        png = io.BytesIO()
        segno.make("mobileSign:" + app_url).save(png, kind="png", scale=3)
        h._json(200, {
            "expireAt": int((time.time() + 300) * 1000),
            "qrCode": base64.b64encode(png.getvalue()).decode("ascii"),
            "dataURL": f"{self.base}/api/egovQr/{op_id}/data",
            "signURL": f"{self.base}/api/egovQr/{op_id}/sign",
            "eGovMobileLaunchLink": f"https://mgovsign.page.link/?link={quote(app_url, safe='')}",
            "eGovBusinessLaunchLink": f"https://egovbusiness.page.link/?link={quote(app_url, safe='')}",
        })

    def __enter__(self) -> SigexBrokerDouble:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
