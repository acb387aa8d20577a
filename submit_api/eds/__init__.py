"""Sign-in with an electronic digital signature (ЭЦҚ), rule R13.

The browser has NCALayer sign a one-time XML challenge with the citizen's authentication key;
a :class:`SignatureChecker` verifies the XML signature, the certificate chain, dates, key usage
and revocation, and returns the verified (signed-only) XML and the :class:`Signer`. Challenge
freshness is the caller's job: read the nonce from ``VerifiedDocument.root`` only.

- :class:`XmlDsigChecker`: RSA keys, signxml + pyhanko-certvalidator, in process.
- :class:`NcaNodeChecker`: any NCA key (incl. GOST 34.10-2015) through an NCANode v3 server.
- :func:`make_checker`: one of them from the Flask config (EDS_* keys).
- ``submit_api.eds.testpki`` / ``submit_api.eds.ocsp_responder``: a test CA and OCSP responder for
  tests and the development demo.
"""
from .config import make_checker
from .model import (
    EdsConfigError, SignatureChecker, SignatureRejected, Signer, VerifiedDocument, iin_is_valid)
from .ncanode import NcaNodeChecker
from .xmldsig import XmlDsigChecker

__all__ = [
    "EdsConfigError", "NcaNodeChecker", "SignatureChecker", "SignatureRejected", "Signer",
    "VerifiedDocument", "XmlDsigChecker", "iin_is_valid", "make_checker",
]
