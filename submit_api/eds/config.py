"""Build the configured EDS checker from Flask-style settings (R13)."""
from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from .model import EdsConfigError, SignatureChecker
from .ncanode import NcaNodeChecker
from .xmldsig import REVOCATION_MODES, XmlDsigChecker

KINDS = frozenset({"individual", "legal"})


def _words(value: object) -> list[str]:
    """A list from a list/tuple or a comma/space-separated string."""
    if value is None:
        return []
    if isinstance(value, str):
        return [w for w in re.split(r"[\s,]+", value) if w]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [str(w).strip() for w in value if str(w).strip()]
    raise EdsConfigError(f"expected a list or a comma-separated string, not {value!r}")


def make_checker(config: Mapping[str, object]) -> SignatureChecker:
    """The checker for EDS_CHECKER ("xmldsig" default | "ncanode") and its settings.

    Keys: EDS_TRUSTED_CERTS (PEM bundle of roots and intermediates; xmldsig), EDS_REVOCATION
    ("crl" default | "ocsp" | "off"), EDS_CRLS (files/URLs), NCANODE_URL and NCANODE_TIMEOUT
    (seconds, default 15; ncanode), EDS_ALLOWED_KINDS ("individual" default, and/or "legal").
    """
    kind = str(config.get("EDS_CHECKER") or "xmldsig").lower()
    revocation = str(config.get("EDS_REVOCATION") or "crl").lower()
    if revocation not in REVOCATION_MODES:
        raise EdsConfigError(f"EDS_REVOCATION must be one of {REVOCATION_MODES}, not {revocation!r}")
    allowed = frozenset(w.lower() for w in _words(config.get("EDS_ALLOWED_KINDS"))) or frozenset(
        {"individual"})
    if not allowed <= KINDS:
        raise EdsConfigError(f"EDS_ALLOWED_KINDS may only name {sorted(KINDS)}, not {sorted(allowed)}")
    if kind == "ncanode":
        url = config.get("NCANODE_URL")
        if not url:
            raise EdsConfigError("EDS_CHECKER=ncanode needs NCANODE_URL")
        timeout = float(config.get("NCANODE_TIMEOUT") or 15)
        return NcaNodeChecker(str(url), revocation=revocation, allowed_kinds=allowed,
                              timeout=timeout)
    if kind != "xmldsig":
        raise EdsConfigError(f"EDS_CHECKER must be 'xmldsig' or 'ncanode', not {kind!r}")
    bundle = config.get("EDS_TRUSTED_CERTS")
    if not bundle:
        raise EdsConfigError("EDS_CHECKER=xmldsig needs EDS_TRUSTED_CERTS (a PEM bundle)")
    try:
        return XmlDsigChecker(Path(str(bundle)), revocation=revocation,
                              crl_sources=_words(config.get("EDS_CRLS")), allowed_kinds=allowed)
    except (OSError, ValueError) as exc:
        raise EdsConfigError(f"EDS_TRUSTED_CERTS {bundle}: {exc}") from exc
