"""Fixtures and helpers for the EDS sign-in tests (R13): a test PKI, its OCSP responder, a fake
NCANode, a second XML-DSig implementation (xmlsec1) and signature-wrapping shapes."""
from __future__ import annotations

import copy
import json
import shutil
import subprocess
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from lxml import etree
from signxml import SignatureConstructionMethod, XMLSigner

from submit_api.eds import XmlDsigChecker
from submit_api.eds.ocsp_responder import OcspResponder
from submit_api.eds.testpki import C14N, Leaf, make_test_pki

DS = "http://www.w3.org/2000/09/xmldsig#"
NONCE = "n-4f1c2a9e"


def challenge(nonce: str = NONCE) -> bytes:
    """A sign-in challenge like the API hands out."""
    return (f'<?xml version="1.0" encoding="UTF-8"?>'
            f"<login><nonce>{nonce}</nonce><audience>ashyq</audience></login>").encode()


@pytest.fixture(scope="session")
def eds_responder():
    """The OCSP/CRL test double on 127.0.0.1:<ephemeral>."""
    with OcspResponder() as responder:
        yield responder


@pytest.fixture(scope="session")
def eds_pki(tmp_path_factory, eds_responder):
    """One test PKI for the session; its CRL/OCSP URLs point at the responder double."""
    pki = make_test_pki(tmp_path_factory.mktemp("eds-pki"), base_url=eds_responder.url)
    eds_responder.pki = pki
    return pki


@pytest.fixture(scope="session")
def crl_checker(eds_pki):
    return XmlDsigChecker(eds_pki.trusted_bundle, revocation="crl",
                          crl_sources=[str(p) for p in eds_pki.crls])


@pytest.fixture(scope="session")
def ocsp_checker(eds_pki):
    return XmlDsigChecker(eds_pki.trusted_bundle, revocation="ocsp")


# --- other ways of signing ----------------------------------------------------------------------

class _Sha1Signer(XMLSigner):
    """signxml refuses SHA-1 by default; an attacker's tool does not."""

    def check_deprecated_methods(self):
        pass


def sign_legacy(xml: bytes, leaf: Leaf, signature_algorithm: str, digest_algorithm: str) -> bytes:
    signer = _Sha1Signer(method=SignatureConstructionMethod.enveloped,
                         signature_algorithm=signature_algorithm,
                         digest_algorithm=digest_algorithm, c14n_algorithm=C14N)
    signed = signer.sign(etree.fromstring(xml), key=leaf.key, cert=[leaf.cert])
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


XMLSEC_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<login><nonce>{nonce}</nonce><audience>ashyq</audience><ds:Signature xmlns:ds="{DS}">
<ds:SignedInfo>
<ds:CanonicalizationMethod Algorithm="{C14N}"/>
<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
<ds:Reference URI="">
<ds:Transforms>
<ds:Transform Algorithm="{DS}enveloped-signature"/>
<ds:Transform Algorithm="{transform}"/>
</ds:Transforms>
<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
<ds:DigestValue></ds:DigestValue>
</ds:Reference>
</ds:SignedInfo>
<ds:SignatureValue></ds:SignatureValue>
<ds:KeyInfo><ds:X509Data></ds:X509Data></ds:KeyInfo>
</ds:Signature></login>
"""


def sign_with_xmlsec1(leaf: Leaf, workdir: Path, transform: str = C14N) -> bytes:
    """Sign the challenge template with the xmlsec1 command (an independent XML-DSig stack)."""
    template, out = workdir / "template.xml", workdir / "signed.xml"
    template.write_text(XMLSEC_TEMPLATE.format(DS=DS, C14N=C14N, nonce=NONCE, transform=transform),
                        encoding="utf-8")
    subprocess.run([shutil.which("xmlsec1"), "--sign", "--privkey-pem",
                    f"{leaf.key_path},{leaf.cert_path}", "--output", str(out), str(template)],
                   check=True, capture_output=True, timeout=60)
    return out.read_bytes()


# --- signature wrapping shapes ------------------------------------------------------------------

def _signature(root: etree._Element) -> etree._Element:
    return root.find(f"{{{DS}}}Signature")


def wrap_in_new_root(signed: bytes) -> bytes:
    """The signed original moved inside a new root that says something else."""
    original = etree.fromstring(signed)
    evil = etree.Element("login")
    etree.SubElement(evil, "nonce").text = "EVIL"
    evil.append(original)
    return etree.tostring(evil)


def forged_root_signature_moved_up(signed: bytes) -> bytes:
    """A forged unsigned root; the signed copy nested as a child, its signature moved to the root."""
    original = etree.fromstring(signed)
    signature = _signature(original)
    original.remove(signature)
    forged = etree.Element("login")
    etree.SubElement(forged, "nonce").text = "EVIL"
    forged.append(original)
    forged.append(signature)
    return etree.tostring(forged)


def signed_copy_in_object(signed: bytes) -> bytes:
    """A forged root whose signature carries the signed original inside a ds:Object."""
    original = etree.fromstring(signed)
    signature = _signature(original)
    original.remove(signature)
    forged = etree.Element("login")
    etree.SubElement(forged, "nonce").text = "EVIL"
    etree.SubElement(signature, f"{{{DS}}}Object").append(original)
    forged.append(signature)
    return etree.tostring(forged)


def second_signature(signed: bytes) -> bytes:
    """A second ds:Signature at the root level."""
    root = etree.fromstring(signed)
    root.append(copy.deepcopy(_signature(root)))
    return etree.tostring(root)


def second_root_element(signed: bytes) -> bytes:
    """A second root-level element after the signed one (not well-formed XML)."""
    return signed + b"<login><nonce>EVIL</nonce></login>"


def appended_element(signed: bytes) -> bytes:
    """An unsigned element added beside the signed content."""
    root = etree.fromstring(signed)
    etree.SubElement(root, "nonce").text = "EVIL"
    return etree.tostring(root)


def signature_in_child(signed: bytes) -> bytes:
    """The signature moved from the root into a child element."""
    root = etree.fromstring(signed)
    signature = _signature(root)
    root.remove(signature)
    root.find("audience").append(signature)
    return etree.tostring(root)


WRAPPINGS: list[tuple[Callable[[bytes], bytes], str]] = [
    (wrap_in_new_root, "wrapped"),
    (forged_root_signature_moved_up, "bad_signature"),
    (signed_copy_in_object, "bad_signature"),
    (second_signature, "wrapped"),
    (second_root_element, "malformed"),
    (appended_element, "bad_signature"),
    (signature_in_child, "wrapped"),
]


# --- a fake NCANode v3 --------------------------------------------------------------------------

def ncanode_answer(leaf: Leaf, **overrides) -> dict:
    """NCANode v3's /xml/verify answer for a good AUTH certificate, with fields overridden."""
    cert = leaf.cert
    info = {
        "valid": True,
        "revocations": [{"revoked": False, "by": "OCSP"}, {"revoked": False, "by": "CRL"}],
        "notBefore": cert.not_valid_before_utc.isoformat(timespec="milliseconds"),
        "notAfter": cert.not_valid_after_utc.isoformat(timespec="milliseconds"),
        "keyUsage": "AUTH", "serialNumber": format(cert.serial_number, "x"),
        "signAlg": "SHA256WITHRSA", "keyUser": ["INDIVIDUAL"],
        "subject": {"commonName": "ТЕСТОВ ТЕСТ", "surName": "ТЕСТОВ", "lastName": "ТЕСТОВИЧ",
                    "iin": leaf.iin, "country": "KZ",
                    "dn": f"CN=ТЕСТОВ ТЕСТ,SURNAME=ТЕСТОВ,SERIALNUMBER=IIN{leaf.iin},C=KZ"},
        "issuer": {"commonName": "ҰКО ТЕСТ (RSA)", "country": "KZ"},
    }
    top = {"status": 200, "message": "", "valid": True}
    for key, value in overrides.items():
        (top if key == "valid_all" else info)[key if key != "valid_all" else "valid"] = value
    top["signers"] = [info]
    return top


class _NcaHandler(BaseHTTPRequestHandler):
    server: "_NcaServer"

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.fake.requests.append((self.path, json.loads(body)))
        status, answer = self.server.fake.reply
        data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args) -> None:  # noqa: A002
        pass


class _NcaServer(ThreadingHTTPServer):
    daemon_threads = True
    fake: "FakeNcaNode"


class FakeNcaNode:
    """A local HTTP server answering in NCANode v3's JSON shape; set ``reply`` per test."""

    def __init__(self):
        self.requests: list[tuple[str, dict]] = []
        self.reply: tuple[int, dict | bytes] = (500, {"status": 500, "message": "not set"})
        self._server = _NcaServer(("127.0.0.1", 0), _NcaHandler)
        self._server.fake = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return "http://127.0.0.1:%d" % self._server.server_address[1]

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()


@pytest.fixture(scope="session")
def fake_ncanode():
    fake = FakeNcaNode()
    yield fake
    fake.close()


def utc_now() -> datetime:
    return datetime.now(UTC)
