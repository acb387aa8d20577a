"""A tiny real-protocol OCSP responder (RFC 6960 over HTTP POST) for the test PKI (R13).

It stands in for NCA's OCSP server, which cannot be reached from tests or the demo: it answers
"good" for certificates the test intermediate issued, "revoked" for the ones in its CRL, and
"unknown" otherwise, signing with the intermediate's key. It also serves the test CRLs over
HTTP GET (``/crl/intermediate.crl``, ``/crl/root.crl``) at the URLs the certificates give.

    with OcspResponder() as responder:          # 127.0.0.1, ephemeral port
        pki = make_test_pki(dest, base_url=responder.url)
        responder.pki = pki
"""
from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import keys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from .testpki import TestPki

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 64 * 1024


def ocsp_answer(pki: TestPki, request_der: bytes, now: datetime | None = None) -> bytes:
    """The DER OCSP response to a DER OCSP request, signed by the test intermediate."""
    try:
        request = ocsp.load_der_ocsp_request(request_der)
    except ValueError:
        return ocsp.OCSPResponseBuilder.build_unsuccessful(
            ocsp.OCSPResponseStatus.MALFORMED_REQUEST).public_bytes(serialization.Encoding.DER)
    issuer = pki.intermediate
    issuer_key_hash = _key_hash(issuer.cert, request.hash_algorithm)
    if request.issuer_key_hash != issuer_key_hash:
        return ocsp.OCSPResponseBuilder.build_unsuccessful(
            ocsp.OCSPResponseStatus.UNAUTHORIZED).public_bytes(serialization.Encoding.DER)
    now = now or datetime.now(UTC)
    issued = {leaf.cert.serial_number: leaf.cert for leaf in pki.leaves.values()
              if leaf.cert.issuer == issuer.cert.subject}
    cert = issued.get(request.serial_number)
    revoked = request.serial_number in pki.revoked_serials
    status = (ocsp.OCSPCertStatus.UNKNOWN if cert is None else
              ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD)
    builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
        issuer_name_hash=request.issuer_name_hash, issuer_key_hash=request.issuer_key_hash,
        serial_number=request.serial_number, algorithm=request.hash_algorithm,
        cert_status=status, this_update=now - timedelta(minutes=1),
        next_update=now + timedelta(minutes=10),
        revocation_time=now - timedelta(hours=1) if revoked else None,
        revocation_reason=None,
    ).responder_id(ocsp.OCSPResponderEncoding.HASH, issuer.cert)
    for ext in request.extensions:
        if isinstance(ext.value, x509.OCSPNonce):
            builder = builder.add_extension(ext.value, critical=False)
    response = builder.sign(issuer.key, hashes.SHA256())
    log.info("R13: test OCSP answered %s for serial %x", status.name, request.serial_number)
    return response.public_bytes(serialization.Encoding.DER)


def _key_hash(cert: x509.Certificate, algorithm: hashes.HashAlgorithm) -> bytes:
    """Hash of the issuer's subjectPublicKey BIT STRING, as CertID.issuerKeyHash wants."""
    spki = keys.PublicKeyInfo.load(cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))
    digest = hashes.Hash(algorithm)
    digest.update(spki["public_key"].contents[1:])  # drop the unused-bits octet
    return digest.finalize()


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        length = int(self.headers.get("Content-Length") or 0)
        pki = self.server.responder.pki
        if pki is None or length <= 0 or length > MAX_REQUEST_BYTES:
            self.send_error(503 if pki is None else 400)
            return
        body = ocsp_answer(pki, self.rfile.read(length))
        self._reply(body, "application/ocsp-response")

    def do_GET(self) -> None:  # noqa: N802
        pki = self.server.responder.pki
        names = {f"/crl/{p.stem}.crl": p for p in (pki.crls if pki else [])}
        path = names.get(self.path)
        if path is None:
            self.send_error(404)
            return
        self._reply(path.read_bytes(), "application/pkix-crl")

    def _reply(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - http.server signature
        log.debug("test OCSP/CRL server: " + format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    responder: "OcspResponder"


class OcspResponder:
    """The test OCSP responder and CRL server, run in a thread on 127.0.0.1."""

    def __init__(self, pki: TestPki | None = None, host: str = "127.0.0.1", port: int = 0):
        self.pki = pki
        self._server = _Server((host, port), _Handler)
        self._server.responder = self
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "OcspResponder":
        self._thread = threading.Thread(target=self._server.serve_forever, name="test-ocsp",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> "OcspResponder":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
