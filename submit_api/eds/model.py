"""What an EDS check returns and how it refuses (R13): the shared vocabulary of the checkers."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from lxml import etree

REJECTION_CODES = frozenset({
    "malformed", "no_signature", "bad_signature", "wrapped", "untrusted_chain", "expired",
    "not_yet_valid", "revoked", "revocation_unknown", "wrong_key_usage", "no_iin", "bad_iin",
    "checker_unavailable",
})

# NCA RK extended key usage OIDs ("key user"), see pki.gov.kz certificate policy.
OID_NCA_INDIVIDUAL = "1.2.398.3.3.4.1.1"
OID_NCA_LEGAL = "1.2.398.3.3.4.1.2"
OID_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"

_IIN_WEIGHTS_1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_IIN_WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


class SignatureRejected(Exception):
    """The signed document or its certificate is not acceptable (R13)."""

    def __init__(self, code: str, message: str):
        assert code in REJECTION_CODES, code
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class EdsConfigError(ValueError):
    """The EDS sign-in configuration is incomplete or contradictory (R13)."""


@dataclass(frozen=True)
class Signer:
    """The person (and, for legal-entity keys, the organisation) behind a verified signature."""

    iin: str
    bin: str | None
    common_name: str
    surname: str | None
    given_name: str | None
    kind: str  # "individual" | "legal"
    certificate_sha256: str
    organisation: str | None = None  # O of a legal entity's certificate (shown, never stored)


@dataclass(frozen=True)
class VerifiedDocument:
    """The signed content only (the signature removed) and who signed it."""

    root: "etree._Element"
    signer: Signer


class SignatureChecker(Protocol):
    """Verifies a signed sign-in challenge (R13)."""

    def check(self, signed_xml: bytes) -> VerifiedDocument: ...


def iin_check_digit(first11: str) -> int | None:
    """The IIN/BIN control digit for the first 11 digits, or None if no digit exists."""
    digits = [int(c) for c in first11]
    total = sum(d * w for d, w in zip(digits, _IIN_WEIGHTS_1)) % 11
    if total == 10:
        total = sum(d * w for d, w in zip(digits, _IIN_WEIGHTS_2)) % 11
        if total == 10:
            return None
    return total


def iin_is_valid(iin: str) -> bool:
    """True for a 12-digit Kazakhstan IIN (or BIN) whose last digit is its control digit."""
    if not isinstance(iin, str) or len(iin) != 12 or not iin.isascii() or not iin.isdigit():
        return False
    return iin_check_digit(iin[:11]) == int(iin[11])


def kind_from_eku(oids: set[str]) -> str | None:
    """The key kind ("legal" or "individual") from NCA key-user OIDs, None if neither."""
    if any(o == OID_NCA_LEGAL or o.startswith(OID_NCA_LEGAL + ".") for o in oids):
        return "legal"
    if OID_NCA_INDIVIDUAL in oids:
        return "individual"
    return None
