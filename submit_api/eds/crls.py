"""Certificate revocation lists from files or URLs, DER or PEM, URLs cached ~10 minutes (R13)."""
from __future__ import annotations

import logging
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from asn1crypto import crl, pem

log = logging.getLogger(__name__)

URL_TTL_SECONDS = 600
FETCH_TIMEOUT_SECONDS = 10
MAX_CRL_BYTES = 64 * 1024 * 1024


def parse_crl(data: bytes) -> crl.CertificateList:
    """One CRL from DER or PEM bytes (ValueError if it is neither)."""
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    parsed = crl.CertificateList.load(data)
    parsed.native  # force a full parse so junk fails here, not inside validation
    return parsed


class CrlSources:
    """The configured CRLs; files are re-read when they change, URLs re-fetched after a TTL."""

    def __init__(self, sources: list[str] | tuple[str, ...] = (), *, ttl: float = URL_TTL_SECONDS,
                 timeout: float = FETCH_TIMEOUT_SECONDS):
        self.sources = [s for s in sources if s]
        self.ttl = ttl
        self.timeout = timeout
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[object, crl.CertificateList]] = {}

    def load(self) -> list[crl.CertificateList]:
        """Every CRL that can be had now; a missing one is logged and left out."""
        found = []
        for source in self.sources:
            try:
                found.append(self._get(source))
            except (OSError, ValueError) as exc:
                log.warning("R13: CRL %s is unavailable: %s", source, exc)
        return found

    def _get(self, source: str) -> crl.CertificateList:
        is_url = source.startswith(("http://", "https://"))
        with self._lock:
            cached = self._cache.get(source)
        if is_url:
            if cached and time.monotonic() - cached[0] < self.ttl:
                return cached[1]
            try:
                parsed = parse_crl(self._fetch(source))
            except (OSError, ValueError):
                if cached:  # a stale copy still lists what it listed; validation checks nextUpdate
                    log.warning("R13: CRL %s could not be refreshed, using the cached copy", source)
                    return cached[1]
                raise
            stamp: object = time.monotonic()
        else:
            path = Path(source)
            stat = path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
            if cached and cached[0] == stamp:
                return cached[1]
            parsed = parse_crl(path.read_bytes())
        with self._lock:
            self._cache[source] = (stamp, parsed)
        return parsed

    def _fetch(self, url: str) -> bytes:
        request = urllib.request.Request(url, headers={"User-Agent": "ashyq-eds/1"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                data = response.read(MAX_CRL_BYTES + 1)
        except urllib.error.HTTPError as exc:
            exc.close()
            raise OSError(f"HTTP {exc.code}") from None
        if len(data) > MAX_CRL_BYTES:
            raise ValueError("CRL too large")
        return data
