"""EDS sign-in verification delegated to an NCANode v3 server (R13).

This is how a deployment serves GOST 34.10-2015 keys, which signxml cannot verify. The signed
content is still extracted here (hardened parse, exactly one root-level ``ds:Signature`` with one
``Reference URI=""``, signature removed); NCANode only answers whether signature and certificate
are good and who the certificate names.

NCANode v3 API relied on (malikzh/NCANode ``openapi.yml`` 3.0.0, ``XmlController``,
``VerificationResponse``, ``CertificateInfo``, ``CertificateSubject``):

Request ``POST {url}/xml/verify`` with JSON ``{"xml": "<signed xml>", "revocationCheck": [...]}``
where ``revocationCheck`` holds ``"OCSP"`` and/or ``"CRL"`` (NCANode defaults to ``["CRL"]`` when
the field is absent, so it is always sent; ``[]`` for EDS_REVOCATION=off). NCANode turns this into
its internal ``verify(xml, verifyOcsp, verifyCrl)`` flags; older notes that show top-level
``verifyOcsp``/``verifyCrl`` fields describe that internal call, not the v3 wire format.

Response fields read (others ignored)::

    status: int, message: str                    # HTTP-like status and error text
    valid: bool                                  # every signature and certificate good
    signers: [CertificateInfo]                   # one per ds:Signature, the signing (leaf) cert
      (or [{certificates: [CertificateInfo, ...]}], leaf first, accepted as well)
    CertificateInfo:
      valid: bool                                # chain to a trusted CA, dates, revocation
      revocations: [{revoked: bool, by: "OCSP"|"CRL", revocationTime, reason}]
      notBefore, notAfter: ISO-8601 string or epoch milliseconds
      keyUsage: "AUTH" | "SIGN" | "UNKNOWN"
      keyUser: ["INDIVIDUAL" | "ORGANIZATION" | "CEO" | "CAN_SIGN" | "CAN_SIGN_FINANCIAL" |
                "HR" | "EMPLOYEE" | ...]         # from the NCA extended key usage OIDs
      serialNumber: hex string                   # checked against the certificate in the XML
      subject: {commonName, surName, lastName (= GIVENNAME), iin, bin, organization, dn}

HTTP 4xx answers mean NCANode refused the document ("bad_signature"); transport errors, timeouts,
5xx answers and unparseable bodies are "checker_unavailable".
"""
from __future__ import annotations

import hashlib
import json
import logging
import socket
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime

from asn1crypto import x509 as asn1_x509

from .identity import check_iin
from .model import SignatureRejected, Signer, VerifiedDocument
from .xmlsafe import read_enveloped, without_signature

log = logging.getLogger(__name__)

REVOCATION_CHECKS = {"ocsp": ["OCSP"], "crl": ["CRL"], "off": []}
LEGAL_KEY_USERS = frozenset({"ORGANIZATION", "CEO", "CAN_SIGN", "CAN_SIGN_FINANCIAL", "HR",
                             "EMPLOYEE"})
MAX_ANSWER_BYTES = 1024 * 1024


def _when(value: object) -> datetime | None:
    """An NCANode date: ISO-8601 text or epoch milliseconds."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000, UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


class NcaNodeChecker:
    """Verifies sign-ins by asking an NCANode v3 server (R13); see the module docstring."""

    def __init__(self, url: str, revocation: str = "crl",
                 allowed_kinds: frozenset[str] = frozenset({"individual"}),
                 timeout: float = 15.0, moment: Callable[[], datetime] | None = None):
        if revocation not in REVOCATION_CHECKS:
            raise ValueError(f"revocation must be one of {sorted(REVOCATION_CHECKS)}")
        self.url = url.rstrip("/")
        self.revocation = revocation
        self.allowed_kinds = frozenset(allowed_kinds)
        self.timeout = timeout
        self.moment = moment or (lambda: datetime.now(UTC))
        if revocation == "off":
            log.warning("R13: EDS revocation checking is OFF for NCANode; revoked certificates "
                        "will be accepted")

    def check(self, signed_xml: bytes) -> VerifiedDocument:
        """Verify through NCANode; return the signed content and its signer (R13)."""
        signed_xml, root, signature, der = read_enveloped(signed_xml)
        try:
            text = signed_xml.decode("utf-8")
        except UnicodeDecodeError:
            raise SignatureRejected("malformed", "The signed document is not UTF-8.")
        answer = self._ask({"xml": text, "revocationCheck": REVOCATION_CHECKS[self.revocation]})
        signer = self._signer(answer, der)
        log.info("R13: NCANode verified certificate %s", signer.certificate_sha256[:16])
        return VerifiedDocument(root=without_signature(root, signature), signer=signer)

    def _ask(self, payload: dict) -> dict:
        request = urllib.request.Request(
            f"{self.url}/xml/verify", data=json.dumps(payload).encode("utf-8"), method="POST",
            headers={"Content-Type": "application/json", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read(MAX_ANSWER_BYTES + 1)
        except urllib.error.HTTPError as exc:
            with exc:
                detail = exc.read(4096).decode("utf-8", "replace")
            if 400 <= exc.code < 500:
                raise SignatureRejected("bad_signature",
                                        f"NCANode refused the document (HTTP {exc.code}): {detail}")
            raise SignatureRejected("checker_unavailable", f"NCANode answered HTTP {exc.code}.")
        except (urllib.error.URLError, socket.timeout, ConnectionError, OSError) as exc:
            raise SignatureRejected("checker_unavailable", f"NCANode is unreachable: {exc}.")
        try:
            answer = json.loads(body) if len(body) <= MAX_ANSWER_BYTES else None
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise SignatureRejected("checker_unavailable", "NCANode's answer is not a JSON object.")
        return answer

    def _signer(self, answer: dict, der: bytes) -> Signer:
        signers = answer.get("signers")
        if not isinstance(signers, list) or len(signers) != 1 or not isinstance(signers[0], dict):
            raise SignatureRejected("bad_signature", "NCANode reports no single signer.")
        info = signers[0]
        chain = info.get("certificates")
        if isinstance(chain, list):
            info = chain[0] if chain and isinstance(chain[0], dict) else {}
        self._check_status(answer, info)
        self._check_same_certificate(info, der)
        if info.get("keyUsage") != "AUTH":
            raise SignatureRejected("wrong_key_usage",
                                    f"NCANode reports key usage {info.get('keyUsage')!r}, not AUTH.")
        key_users = set(info.get("keyUser") or [])
        kind = ("legal" if key_users & LEGAL_KEY_USERS else
                "individual" if "INDIVIDUAL" in key_users else None)
        if kind is None or kind not in self.allowed_kinds:
            raise SignatureRejected("wrong_key_usage",
                                    f"The certificate's key user ({kind or 'unknown'}) is not accepted here.")
        subject = info.get("subject") if isinstance(info.get("subject"), dict) else {}
        iin = check_iin(subject.get("iin"))
        bin_ = subject.get("bin") or None
        if kind == "legal":
            bin_ = check_iin(bin_, "BIN")
        return Signer(iin=iin, bin=bin_, common_name=subject.get("commonName") or "",
                      surname=subject.get("surName"), given_name=subject.get("lastName"),
                      kind=kind, certificate_sha256=hashlib.sha256(der).hexdigest(),
                      organisation=(subject.get("organization") or None) if kind == "legal" else None)

    def _check_status(self, answer: dict, info: dict) -> None:
        """Refuse with the most specific code NCANode's answer supports (R13)."""
        revocations = [r for r in info.get("revocations") or [] if isinstance(r, dict)]
        if any(r.get("revoked") is True for r in revocations):
            raise SignatureRejected("revoked", "NCANode reports the certificate revoked.")
        if answer.get("valid") is not True or info.get("valid") is not True:
            now = self.moment()
            not_after, not_before = _when(info.get("notAfter")), _when(info.get("notBefore"))
            if not_after is not None and not_after < now:
                raise SignatureRejected("expired", f"The certificate expired {not_after:%Y-%m-%d}.")
            if not_before is not None and not_before > now:
                raise SignatureRejected("not_yet_valid",
                                        f"The certificate is valid from {not_before:%Y-%m-%d}.")
            if info.get("valid") is not True:
                raise SignatureRejected("untrusted_chain", "NCANode reports the certificate invalid.")
            raise SignatureRejected("bad_signature", "NCANode reports the signature invalid.")
        checked = {r.get("by") for r in revocations}
        for method in REVOCATION_CHECKS[self.revocation]:
            if method not in checked:
                raise SignatureRejected("revocation_unknown",
                                        f"NCANode did not report a {method} revocation check.")

    @staticmethod
    def _check_same_certificate(info: dict, der: bytes) -> None:
        """NCANode's answer must describe the certificate carried in the document."""
        try:
            serial = asn1_x509.Certificate.load(der).serial_number
            reported = int(str(info.get("serialNumber")), 16)
        except (ValueError, TypeError):
            raise SignatureRejected("bad_signature", "Cannot match NCANode's answer to the certificate.")
        if serial != reported:
            raise SignatureRejected("bad_signature", "NCANode described a different certificate.")
