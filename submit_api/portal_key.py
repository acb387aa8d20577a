"""The portal's organisation key: what signs the final reports (R17) and the proposal receipts.

Settings (:mod:`ashyq.settings`, docs/settings.md). Production: ``ASHYQ_REPORT_SIGNING_KEY``
names the key and ``ASHYQ_REPORT_SIGNING_CERT`` its
certificate (PEM files; the certificate file may carry the chain after the leaf), or the key
setting names one PKCS#12 file (``.p12`` / ``.pfx``) holding both; a password, if any, in
``ASHYQ_REPORT_SIGNING_PASSWORD``. Typically the portal operator's legal-entity key (GOST or
RSA) from NCA RK; here RSA or EC keys work.

Without a key the demo makes its own, once, in ``REPORT_SIGNING_DEMO_DIR``: a self-signed root
"Ashyq DEMO root — not a real authority" and a leaf "Ashyq portal (DEMO signing key)". Every
file it signs says so, in its signer's name. Never use the demo key in production.

The portal's certificate (with its chain) is published by the build as
``/opendata/portal-certificate.pem`` (:func:`certificate_pem`): what anyone checks the reports'
signatures and the receipts against.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEMO_FOLDER = "portal-demo-key"
DEMO_NAME = "Ashyq portal (DEMO signing key)"
DEMO_ROOT = "Ashyq DEMO root — not a real authority"
ENV_KEY, ENV_CERT, ENV_PASSWORD = ("ASHYQ_REPORT_SIGNING_KEY", "ASHYQ_REPORT_SIGNING_CERT",
                                   "ASHYQ_REPORT_SIGNING_PASSWORD")


class PortalKeyError(Exception):
    "The portal's signing key or certificate cannot be loaded"


@dataclass(frozen=True)
class PortalKey:
    key: object                      # a cryptography private key
    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...]   # issuers, nearest first (the root last)
    demo: bool

    @property
    def name(self) -> str:
        names = self.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(names[0].value) if names else self.cert.subject.rfc4514_string()

    @property
    def root(self) -> x509.Certificate:
        """The trust anchor: the last of the chain (or the certificate itself)."""
        return self.chain[-1] if self.chain else self.cert

    def certificate_pem(self) -> bytes:
        """The certificate and its chain, PEM: ``/opendata/portal-certificate.pem``."""
        return b"".join(c.public_bytes(serialization.Encoding.PEM)
                        for c in (self.cert, *self.chain))

    def signer(self):
        """A pyHanko signer for PAdES and CMS."""
        return _signer(self)


@lru_cache(maxsize=4)
def _signer(key: PortalKey):
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    der = serialization.Encoding.DER

    def cert(c: x509.Certificate):
        return asn1_x509.Certificate.load(c.public_bytes(der))

    class Signer(signers.SimpleSigner):
        """pyHanko's signer with the key loaded once (it re-parses the key on every signature,
        0.2 s for RSA: measured in docs/benchmarks.md)."""

        def sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
            digest = getattr(hashes, digest_algorithm.upper())()
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
            if isinstance(key.key, rsa.RSAPrivateKey) and mechanism.signature_algo == \
                    "rsassa_pkcs1v15":
                return key.key.sign(data, padding.PKCS1v15(), digest)
            if isinstance(key.key, ec.EllipticCurvePrivateKey):
                return key.key.sign(data, ec.ECDSA(digest))
            return super().sign_raw(data, digest_algorithm, dry_run)

    private = asn1_keys.PrivateKeyInfo.load(key.key.private_bytes(
        der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return Signer(signing_cert=cert(key.cert), signing_key=private,
                  cert_registry=SimpleCertificateStore.from_certs([cert(c) for c in key.chain]))


def load(key_path: str | Path, cert_path: str | Path | None = None,
         password: str | None = None) -> PortalKey:
    """The key and certificate from PEM files or one PKCS#12 file."""
    key_path = Path(key_path)
    secret = password.encode() if password else None
    try:
        if key_path.suffix.lower() in (".p12", ".pfx"):
            key, cert, extra = pkcs12.load_key_and_certificates(key_path.read_bytes(), secret)
            if key is None or cert is None:
                raise PortalKeyError(f"{key_path}: no key or no certificate in the PKCS#12 file")
            chain = tuple(extra or ())
        else:
            key = serialization.load_pem_private_key(key_path.read_bytes(), secret)
            if not cert_path:
                raise PortalKeyError(f"{ENV_CERT} is needed with a PEM key")
            certs = x509.load_pem_x509_certificates(Path(cert_path).read_bytes())
            cert, chain = certs[0], tuple(certs[1:])
    except (OSError, ValueError, TypeError) as exc:
        raise PortalKeyError(f"the portal's signing key cannot be loaded: {exc}") from exc
    if cert.public_key().public_numbers() != key.public_key().public_numbers():
        raise PortalKeyError("the signing certificate is not the key's")
    return PortalKey(key, cert, chain, demo=False)


def demo(folder: str | Path) -> PortalKey:
    """The demo's own key: made once in ``folder``, reused after (marked DEMO everywhere)."""
    folder = Path(folder)
    key_file, cert_file = folder / "portal-key.pem", folder / "portal-cert.pem"
    if key_file.exists() and cert_file.exists():
        found = load(key_file, cert_file)
        if found.cert.not_valid_after_utc > dt.datetime.now(dt.UTC) + dt.timedelta(days=30):
            return PortalKey(found.key, found.cert, found.chain, demo=True)
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, DEMO_ROOT),
                           x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Ashyq demo"),
                           x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ")])
    leaf_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, DEMO_NAME),
                           x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Ashyq demo"),
                           x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ")])
    root = (x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
            .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                         False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()),
                           critical=False)
            .sign(root_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(leaf_name).issuer_name(root_name)
            .public_key(leaf_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=1825))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False,
                                         False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION,
                                                  ExtendedKeyUsageOID.CODE_SIGNING]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    tmp = key_file.with_suffix(".tmp")
    tmp.write_bytes(leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    os.chmod(tmp, 0o600)
    tmp.replace(key_file)
    tmp = cert_file.with_suffix(".tmp")
    tmp.write_bytes(leaf.public_bytes(pem) + root.public_bytes(pem))
    tmp.replace(cert_file)
    return PortalKey(leaf_key, leaf, (root,), demo=True)


def from_settings(settings: Mapping | None = None) -> PortalKey:
    """The configured key (``REPORT_SIGNING_KEY`` …), or, outside production, the demo's own in
    ``REPORT_SIGNING_DEMO_DIR``."""
    if settings is None:
        from ashyq.settings import load as load_settings
        settings = load_settings()
    if settings.get("REPORT_SIGNING_KEY"):
        return _loaded(str(settings["REPORT_SIGNING_KEY"]),
                       str(settings.get("REPORT_SIGNING_CERT") or ""),
                       settings.get("REPORT_SIGNING_PASSWORD"))
    if settings.get("ENV") == "production":
        raise PortalKeyError(f"no signing key: set {ENV_KEY} (and {ENV_CERT})")
    return _demo_cached(str(Path(settings["REPORT_SIGNING_DEMO_DIR"]).resolve()))


@lru_cache(maxsize=4)
def _loaded(key_path: str, cert_path: str, password: str | None) -> PortalKey:
    return load(key_path, cert_path or None, password)


@lru_cache(maxsize=4)
def _demo_cached(folder: str) -> PortalKey:
    return demo(Path(folder))
