"""A throwaway PKI shaped like NCA RK's, for tests and the development demo (R13).

``make_test_pki(dest)`` writes a root CA, an intermediate CA and NCA-like leaf certificates
(RSA 2048, SHA-256) with their private keys as PEM files under ``dest``, plus CRLs and the
trust bundle. It is reused on the next call with the same ``dest`` (the demo keeps its CA across
restarts) unless the leaves expired or the revocation base URL changed; CRLs are re-issued on
every call so they never go stale. The private keys are unencrypted: never use this in production.

Leaves: ``auth`` (individual AUTH key), ``sign`` (the same person's SIGN key), ``expired``,
``revoked`` (listed in the intermediate's CRL), ``future`` (valid from in 30 days), ``legal`` (legal-entity AUTH key with a BIN),
``legal2`` (another employee of the same organisation, same BIN), ``legal_other`` (another organisation),
``person1``..``personN`` (more individuals), ``bad_iin`` (IIN with a wrong checksum), ``no_iin``
(no SERIALNUMBER) and ``foreign`` (issued by ``foreign_root``, a CA nobody trusts).
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    ExtendedKeyUsageOID,
    NameOID,
)
from lxml import etree
from signxml import SignatureConstructionMethod, XMLSigner

from ashyq.files import atomic_write

from .model import OID_NCA_INDIVIDUAL, iin_check_digit
from .xmlsafe import safe_parser

log = logging.getLogger(__name__)

PKI_VERSION = 1
DEFAULT_BASE_URL = "http://127.0.0.1:8642"
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
OID_NCA_LEGAL_CEO = "1.2.398.3.3.4.1.2.1"
OID_NCA_LEGAL_EMPLOYEE = "1.2.398.3.3.4.1.2.5"


def make_iin(seed: int, first6: str = "900101", century: str = "3") -> str:
    """A valid IIN (birth date, century/sex digit, 4-digit serial, control digit) for a seed."""
    for serial in range(seed * 10, seed * 10 + 10):
        first11 = f"{first6}{century}{serial % 10000:04d}"
        check = iin_check_digit(first11)
        if check is not None:
            return first11 + str(check)
    raise AssertionError("unreachable: one of ten serials always has a control digit")


def make_bin(seed: int) -> str:
    """A valid BIN (registration YYMM, entity-type digits, serial, control digit)."""
    return make_iin(seed, first6="080540", century="0")


@dataclass(frozen=True)
class Leaf:
    """One certificate of the test PKI with its key and files."""

    name: str
    cert: x509.Certificate
    key: rsa.RSAPrivateKey
    cert_path: Path
    key_path: Path
    iin: str | None = None
    bin: str | None = None

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


@dataclass
class TestPki:
    """Paths and signing helpers of a generated test PKI."""

    __test__ = False  # not a pytest test class

    dest: Path
    base_url: str
    root: Leaf
    intermediate: Leaf
    foreign_root: Leaf
    leaves: dict[str, Leaf]
    trusted_bundle: Path
    crls: list[Path] = field(default_factory=list)
    revoked_serials: frozenset[int] = frozenset()

    @property
    def ocsp_url(self) -> str:
        return f"{self.base_url}/ocsp"

    def crl_url(self, name: str) -> str:
        """The URL the certificates give for a CRL ("intermediate" or "root")."""
        return f"{self.base_url}/crl/{name}.crl"

    def leaf(self, who: str | Leaf) -> Leaf:
        return who if isinstance(who, Leaf) else self.leaves[who]

    def iins(self) -> list[str]:
        """Every IIN in the test certificates (tests assert none leaks out of the database)."""
        return sorted({leaf.iin for leaf in self.leaves.values() if leaf.iin})

    def bins(self) -> list[str]:
        """Every BIN in the test certificates (legal persons: none may leak out either)."""
        return sorted({leaf.bin for leaf in self.leaves.values() if leaf.bin})

    def person(self, n: int) -> Leaf:
        """The n-th extra individual (1-based), each with a distinct valid IIN."""
        return self.leaves[f"person{n}"]

    def sign_xml(self, xml: bytes, who: str | Leaf = "auth", *,
                 reference_uri: str | None = None) -> bytes:
        """Sign as NCALayer does: enveloped, RSA-SHA256, SHA-256, C14N, leaf only in KeyInfo."""
        leaf = self.leaf(who)
        signer = XMLSigner(method=SignatureConstructionMethod.enveloped,
                           signature_algorithm="rsa-sha256", digest_algorithm="sha256",
                           c14n_algorithm=C14N)
        root = etree.fromstring(xml, parser=safe_parser())
        signed = signer.sign(root, key=leaf.key, cert=[leaf.cert], reference_uri=reference_uri)
        return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


# --- generation -------------------------------------------------------------------------------

def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _ski(key: rsa.RSAPrivateKey) -> x509.SubjectKeyIdentifier:
    return x509.SubjectKeyIdentifier.from_public_key(key.public_key())


def _person_name(iin: str | None, *, org: str | None = None, bin_: str | None = None,
                 cn: str = "ТЕСТОВ ТЕСТ") -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn),
             x509.NameAttribute(NameOID.SURNAME, "ТЕСТОВ")]
    if iin is not None:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, f"IIN{iin}"))
    attrs.append(x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"))
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    if bin_:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"BIN{bin_}"))
    attrs.append(x509.NameAttribute(NameOID.GIVEN_NAME, "ТЕСТОВИЧ"))
    return x509.Name(attrs)


def _ca_name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _ca_cert(name: x509.Name, key, issuer: x509.Name, issuer_key, *, start: datetime,
             end: datetime, crl_url: str | None) -> x509.Certificate:
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(end)
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(
                   digital_signature=False, content_commitment=False, key_encipherment=False,
                   data_encipherment=False, key_agreement=False, key_cert_sign=True,
                   crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
               .add_extension(_ski(key), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                   issuer_key.public_key()), critical=False))
    if crl_url:
        builder = builder.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            [x509.UniformResourceIdentifier(crl_url)], None, None, None)]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _leaf_cert(name: x509.Name, key, issuer: x509.Certificate, issuer_key, *, start: datetime,
               end: datetime, profile: str, key_user: str, crl_url: str,
               ocsp_url: str) -> x509.Certificate:
    sign = profile == "sign"
    usage = x509.KeyUsage(
        digital_signature=True, content_commitment=sign, key_encipherment=not sign,
        data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
        encipher_only=False, decipher_only=False)
    purpose = ExtendedKeyUsageOID.EMAIL_PROTECTION if sign else ExtendedKeyUsageOID.CLIENT_AUTH
    return (x509.CertificateBuilder().subject_name(name).issuer_name(issuer.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(usage, critical=True)
            .add_extension(x509.ExtendedKeyUsage([purpose, x509.ObjectIdentifier(key_user)]),
                           critical=False)
            .add_extension(_ski(key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer_key.public_key()), critical=False)
            .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                [x509.UniformResourceIdentifier(crl_url)], None, None, None)]), critical=False)
            .add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
                AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url))]),
                critical=False)
            .sign(issuer_key, hashes.SHA256()))


def _crl(issuer: Leaf, revoked: list[int], now: datetime) -> x509.CertificateRevocationList:
    builder = (x509.CertificateRevocationListBuilder().issuer_name(issuer.cert.subject)
               .last_update(now - timedelta(minutes=5)).next_update(now + timedelta(days=7))
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                   issuer.key.public_key()), critical=False)
               .add_extension(x509.CRLNumber(int(time.time())), critical=False))
    for serial in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial)
            .revocation_date(now - timedelta(hours=1)).build())
    return builder.sign(issuer.key, hashes.SHA256())


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    atomic_write(path, data, mode=0o600 if private else None)


def _save(dest: Path, name: str, cert: x509.Certificate, key, **ids) -> Leaf:
    cert_path, key_path = dest / f"{name}.pem", dest / f"{name}.key.pem"
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    _write(key_path, key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()), private=True)
    return Leaf(name, cert, key, cert_path, key_path, ids.get("iin"), ids.get("bin"))


def _load(dest: Path, name: str, iin: str | None = None, bin_: str | None = None) -> Leaf:
    cert_path, key_path = dest / f"{name}.pem", dest / f"{name}.key.pem"
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None,
                                             unsafe_skip_rsa_key_validation=True)
    return Leaf(name, cert, key, cert_path, key_path, iin, bin_)


def _leaf_names(persons: int) -> set[str]:
    return ({"auth", "sign", "expired", "revoked", "future", "legal", "legal2", "legal_other",
             "bad_iin", "no_iin",
             "foreign"}
            | {f"person{n}" for n in range(1, persons + 1)})


def _generate(dest: Path, now: datetime, base_url: str, persons: int) -> dict:
    crl_inter, crl_root = f"{base_url}/crl/intermediate.crl", f"{base_url}/crl/root.crl"
    ocsp_url = f"{base_url}/ocsp"
    ca_start, ca_end = now - timedelta(days=5 * 365), now + timedelta(days=15 * 365)
    root_key, inter_key, foreign_key = _key(), _key(), _key()
    root_name = _ca_name("ҰКО ТЕСТ ТҮБІР (RSA)")
    root = _save(dest, "root", _ca_cert(root_name, root_key, root_name, root_key, start=ca_start,
                                        end=ca_end, crl_url=None), root_key)
    inter_name = _ca_name("ҰКО ТЕСТ (RSA)")
    inter = _save(dest, "intermediate", _ca_cert(inter_name, inter_key, root_name, root_key,
                                                 start=ca_start, end=ca_end, crl_url=crl_root),
                  inter_key)
    foreign_name = _ca_name("FOREIGN TEST CA")
    foreign_root = _save(dest, "foreign_root", _ca_cert(foreign_name, foreign_key, foreign_name,
                                                        foreign_key, start=ca_start, end=ca_end,
                                                        crl_url=None), foreign_key)
    start, end = now - timedelta(days=1), now + timedelta(days=365)
    auth_iin = make_iin(1)
    bad_iin = auth_iin[:11] + str((int(auth_iin[11]) + 1) % 10)
    specs = {  # name: (iin, bin, profile, key user, start, end, issuer)
        "auth": (auth_iin, None, "auth", OID_NCA_INDIVIDUAL, start, end, inter),
        "sign": (auth_iin, None, "sign", OID_NCA_INDIVIDUAL, start, end, inter),
        "expired": (make_iin(2), None, "auth", OID_NCA_INDIVIDUAL, now - timedelta(days=366),
                    now - timedelta(days=1), inter),
        "revoked": (make_iin(3), None, "auth", OID_NCA_INDIVIDUAL, start, end, inter),
        "future": (make_iin(6), None, "auth", OID_NCA_INDIVIDUAL, now + timedelta(days=30),
                   now + timedelta(days=400), inter),
        "legal": (make_iin(4), make_bin(1), "auth", OID_NCA_LEGAL_CEO, start, end, inter),
        "legal2": (make_iin(7), make_bin(1), "auth", OID_NCA_LEGAL_EMPLOYEE, start, end, inter),
        "legal_other": (make_iin(8), make_bin(2), "auth", OID_NCA_LEGAL_CEO, start, end, inter),
        "bad_iin": (bad_iin, None, "auth", OID_NCA_INDIVIDUAL, start, end, inter),
        "no_iin": (None, None, "auth", OID_NCA_INDIVIDUAL, start, end, inter),
        "foreign": (make_iin(5), None, "auth", OID_NCA_INDIVIDUAL, start, end, foreign_root),
    }
    for n in range(1, persons + 1):
        specs[f"person{n}"] = (make_iin(100 + n), None, "auth", OID_NCA_INDIVIDUAL, start, end, inter)
    meta: dict = {"version": PKI_VERSION, "base_url": base_url, "leaves": {}, "revoked": []}
    for name, (iin, bin_, profile, key_user, nb, na, issuer) in specs.items():
        key = _key()
        subject = _person_name(iin, org="ТОО ТЕСТ" if bin_ else None, bin_=bin_)
        issuer_crl = crl_inter if issuer is inter else f"{base_url}/crl/foreign.crl"
        cert = _leaf_cert(subject, key, issuer.cert, issuer.key, start=nb, end=na,
                          profile=profile, key_user=key_user, crl_url=issuer_crl,
                          ocsp_url=ocsp_url)
        _save(dest, name, cert, key, iin=iin, bin=bin_)
        meta["leaves"][name] = {"iin": iin, "bin": bin_}
        if name == "revoked":
            meta["revoked"].append(format(cert.serial_number, "x"))
    _write(dest / "trusted.pem", root.cert_pem + inter.cert_pem)
    return meta


def _reusable(dest: Path, now: datetime, base_url: str, persons: int) -> dict | None:
    try:
        meta = json.loads((dest / "pki.json").read_text(encoding="utf-8"))
        if (meta.get("version") != PKI_VERSION or meta.get("base_url") != base_url
                or set(meta.get("leaves", {})) != _leaf_names(persons)):
            return None
        for name in ("auth", "intermediate", "root"):
            cert = x509.load_pem_x509_certificate((dest / f"{name}.pem").read_bytes())
            if cert.not_valid_after_utc < now + timedelta(days=1):
                return None
        return meta
    except (OSError, ValueError, KeyError):
        return None


def make_test_pki(dest: Path, *, now: datetime | None = None, base_url: str = DEFAULT_BASE_URL,
                  persons: int = 5) -> TestPki:
    """Generate (or reuse) the test PKI under ``dest``; CRL/OCSP URLs point at ``base_url``."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    now = now or datetime.now(UTC)
    base_url = base_url.rstrip("/")
    meta = _reusable(dest, now, base_url, persons)
    if meta is None:
        log.info("R13: generating a test PKI in %s", dest)
        meta = _generate(dest, now, base_url, persons)
        _write(dest / "pki.json", json.dumps(meta, indent=2).encode("utf-8"))
    root, inter = _load(dest, "root"), _load(dest, "intermediate")
    leaves = {name: _load(dest, name, ids["iin"], ids["bin"]) for name, ids in meta["leaves"].items()}
    revoked = [int(s, 16) for s in meta["revoked"]]
    crl_paths = [dest / "intermediate.crl", dest / "root.crl"]
    _write(crl_paths[0], _crl(inter, revoked, now).public_bytes(serialization.Encoding.DER))
    _write(crl_paths[1], _crl(root, [], now).public_bytes(serialization.Encoding.DER))
    return TestPki(dest=dest, base_url=base_url, root=root, intermediate=inter,
                   foreign_root=_load(dest, "foreign_root"), leaves=leaves,
                   trusted_bundle=dest / "trusted.pem", crls=crl_paths,
                   revoked_serials=frozenset(revoked))
