"""XML-DSig sign-in verification with signxml and pyhanko-certvalidator (R13).

Order of checks: safe parse -> one enveloped root-level signature with ``Reference URI=""`` ->
leaf certificate chain, dates, key usage and revocation against the configured trust bundle ->
the XML signature itself, verified with that validated leaf only -> identity from the subject.
Only signxml's ``signed_xml`` (what the signature covers) is returned.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from lxml import etree
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import (
    ExpiredError, InsufficientRevinfoError, InvalidCertificateError, NotYetValidError,
    PathBuildingError, PathValidationError, RevokedError, ValidationError)
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend
from pyhanko_certvalidator.fetchers.api import OwnedFetcherBackend
from signxml import DigestAlgorithm, SignatureConfiguration, SignatureMethod, XMLVerifier
from signxml.exceptions import SignXMLException

from .crls import CrlSources
from .identity import check_key_purpose, signer_from_certificate
from .model import SignatureRejected, VerifiedDocument
from .xmlsafe import read_enveloped, safe_parser

log = logging.getLogger(__name__)

REVOCATION_MODES = ("crl", "ocsp", "off")
OCSP_TIMEOUT_SECONDS = 10


def load_trust_bundle(path: Path) -> tuple[list[asn1_x509.Certificate], list[asn1_x509.Certificate]]:
    """Split a PEM bundle into trust roots (self-issued) and intermediates."""
    data = Path(path).read_bytes()
    roots, intermediates = [], []
    for kind, _, der in pem.unarmor(data, multiple=True):
        if kind != "CERTIFICATE":
            continue
        cert = asn1_x509.Certificate.load(der)
        (roots if cert.self_issued else intermediates).append(cert)
    if not roots:
        raise ValueError(f"{path}: no self-signed root certificate in the trust bundle")
    return roots, intermediates


def _run(coro):
    """Run a coroutine to completion, also from a thread that already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _chain_error(exc: Exception) -> SignatureRejected:
    """Map a pyhanko-certvalidator failure to a refusal code (R13)."""
    detail = getattr(exc, "failure_msg", None) or str(exc)
    for kind, code in ((RevokedError, "revoked"), (ExpiredError, "expired"),
                       (NotYetValidError, "not_yet_valid"),
                       (InsufficientRevinfoError, "revocation_unknown"),
                       (InvalidCertificateError, "wrong_key_usage"),
                       (PathBuildingError, "untrusted_chain"),
                       (PathValidationError, "untrusted_chain")):
        if isinstance(exc, kind):
            return SignatureRejected(code, detail)
    return SignatureRejected("untrusted_chain", detail)


class XmlDsigChecker:
    """Verifies RSA-SHA256 XML-DSig sign-ins from NCALayer against a trust bundle (R13)."""

    def __init__(self, trusted_certs_pem: Path, revocation: str = "crl",
                 crl_sources: list[str] | tuple[str, ...] = (),
                 allowed_kinds: frozenset[str] = frozenset({"individual"}),
                 moment: Callable[[], datetime] | None = None):
        if revocation not in REVOCATION_MODES:
            raise ValueError(f"revocation must be one of {REVOCATION_MODES}, not {revocation!r}")
        self.trust_roots, self.intermediates = load_trust_bundle(trusted_certs_pem)
        self.revocation = revocation
        self.crls = CrlSources(list(crl_sources))
        self.allowed_kinds = frozenset(allowed_kinds)
        self.moment = moment
        if revocation == "off":
            log.warning("R13: EDS revocation checking is OFF; revoked certificates will be accepted")
        elif revocation == "crl" and not self.crls.sources:
            log.warning("R13: EDS revocation mode is 'crl' but no CRL is configured (EDS_CRLS); "
                        "every certificate that declares a CRL will be refused")

    def check(self, signed_xml: bytes) -> VerifiedDocument:
        """Verify the signature and certificate; return the signed content and its signer (R13)."""
        signed_xml, root, signature, der = read_enveloped(signed_xml)
        try:
            leaf_asn1 = asn1_x509.Certificate.load(der)
            leaf_asn1.native  # noqa: B018 - full parse, junk fails here
            leaf = x509.load_der_x509_certificate(der)
        except ValueError as exc:
            raise SignatureRejected("bad_signature", f"The X509Certificate cannot be parsed: {exc}.")
        now = self.moment() if self.moment else None
        _run(self._validate_chain(leaf_asn1, now))
        kind = check_key_purpose(leaf, self.allowed_kinds)
        signed_root = self._verify_xml(signed_xml, leaf, now)
        signer = signer_from_certificate(leaf, kind)
        log.info("R13: EDS signature verified for certificate %s", signer.certificate_sha256[:16])
        return VerifiedDocument(root=signed_root, signer=signer)

    def _context(self, now: datetime | None) -> ValidationContext:
        kwargs: dict = {"trust_roots": self.trust_roots, "other_certs": self.intermediates,
                        "moment": now}
        if self.revocation == "off":
            kwargs["revocation_mode"] = "none"
        elif self.revocation == "crl":
            kwargs.update(revocation_mode="hard-fail", crls=self.crls.load(), allow_fetching=False)
        else:
            backend = AIOHttpFetcherBackend(per_request_timeout=OCSP_TIMEOUT_SECONDS)
            kwargs.update(revocation_mode="hard-fail", crls=self.crls.load(), allow_fetching=True,
                          fetcher_backend=OwnedFetcherBackend(backend))
        return ValidationContext(**kwargs)

    async def _validate_chain(self, leaf: asn1_x509.Certificate, now: datetime | None) -> None:
        context = self._context(now)
        try:
            validator = CertificateValidator(leaf, validation_context=context)
            await validator.async_validate_usage({"digital_signature"}, {"client_auth"})
        except (ValidationError, PathBuildingError) as exc:
            raise _chain_error(exc) from None
        except (ValueError, TypeError, KeyError, NotImplementedError) as exc:
            log.warning("R13: certificate validation failed unexpectedly: %r", exc)
            raise SignatureRejected("untrusted_chain",
                                    f"The certificate cannot be validated: {exc}.") from None
        finally:
            await context.aclose()

    def _verify_xml(self, signed_xml: bytes, leaf: x509.Certificate,
                    now: datetime | None) -> etree._Element:
        config = SignatureConfiguration(
            location="./", expect_references=1,
            signature_methods=frozenset({SignatureMethod.RSA_SHA256}),
            digest_algorithms=frozenset({DigestAlgorithm.SHA256}), verification_time=now)
        try:
            result = XMLVerifier().verify(signed_xml, x509_cert=leaf, expect_config=config,
                                          parser=safe_parser())
        except (SignXMLException, etree.DocumentInvalid, ValueError) as exc:
            raise SignatureRejected("bad_signature", f"The XML signature does not verify: {exc}.")
        if result.signed_xml is None:
            raise SignatureRejected("bad_signature", "The signed content is not XML.")
        return result.signed_xml
