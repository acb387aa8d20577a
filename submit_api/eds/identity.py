"""Who a verified NCA certificate belongs to (R13): IIN, BIN, names and key kind."""
from __future__ import annotations

import hashlib
import re

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtensionOID, NameOID

from .model import OID_CLIENT_AUTH, SignatureRejected, Signer, iin_is_valid, kind_from_eku

_IIN_RE = re.compile(r"IIN(\d{12})")
_BIN_RE = re.compile(r"BIN(\d{12})")


def _attr(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


def check_key_purpose(cert: x509.Certificate, allowed_kinds: frozenset[str]) -> str:
    """The key kind of an AUTH certificate; a SIGN key or a kind not allowed is refused (R13)."""
    try:
        eku = {o.dotted_string for o in cert.extensions.get_extension_for_oid(
            ExtensionOID.EXTENDED_KEY_USAGE).value}
    except x509.ExtensionNotFound:
        eku = set()
    try:
        ku = cert.extensions.get_extension_for_oid(ExtensionOID.KEY_USAGE).value
    except x509.ExtensionNotFound:
        ku = None
    if ku is None or not ku.digital_signature or ku.content_commitment:
        raise SignatureRejected("wrong_key_usage",
                                "The certificate is not an authentication key (key usage).")
    if OID_CLIENT_AUTH not in eku:
        raise SignatureRejected("wrong_key_usage",
                                "The certificate is not an authentication key (no clientAuth).")
    kind = kind_from_eku(eku)
    if kind is None or kind not in allowed_kinds:
        raise SignatureRejected("wrong_key_usage",
                                f"The certificate's key user ({kind or 'unknown'}) is not accepted here.")
    return kind


def check_iin(iin: str | None, what: str = "IIN") -> str:
    """The 12-digit IIN/BIN, or "no_iin" / "bad_iin" (R13)."""
    if not iin:
        raise SignatureRejected("no_iin", f"The certificate subject has no {what}.")
    if not iin_is_valid(iin):
        raise SignatureRejected("bad_iin", f"The certificate subject's {what} fails its checksum.")
    return iin


def signer_from_certificate(cert: x509.Certificate, kind: str) -> Signer:
    """Read IIN (SERIALNUMBER "IIN..."), BIN (OU "BIN..."), CN, SURNAME, GIVENNAME (R13)."""
    subject = cert.subject
    serial = _attr(subject, NameOID.SERIAL_NUMBER)
    if serial is None or not serial.startswith("IIN"):
        raise SignatureRejected("no_iin", "The certificate subject has no SERIALNUMBER=IIN...")
    match = _IIN_RE.fullmatch(serial)
    if match is None:
        raise SignatureRejected("bad_iin", "The certificate subject's IIN is not 12 digits.")
    iin = check_iin(match.group(1))
    bin_ = None
    for unit in subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME):
        found = _BIN_RE.fullmatch(str(unit.value))
        if found:
            bin_ = found.group(1)
    if kind == "legal":
        bin_ = check_iin(bin_, "BIN")
    elif bin_ is not None and not iin_is_valid(bin_):
        bin_ = None
    der = cert.public_bytes(serialization.Encoding.DER)
    return Signer(
        iin=iin, bin=bin_, common_name=_attr(subject, NameOID.COMMON_NAME) or "",
        surname=_attr(subject, NameOID.SURNAME), given_name=_attr(subject, NameOID.GIVEN_NAME),
        kind=kind, certificate_sha256=hashlib.sha256(der).hexdigest(),
        organisation=_attr(subject, NameOID.ORGANIZATION_NAME) if kind == "legal" else None)
