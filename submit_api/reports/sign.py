"""The final reports, signed by the portal (R17, issue 15): anyone can check a downloaded file.

* Every ``report.pdf`` carries a PAdES signature (pyHanko, ETSI.CAdES.detached) made with the
  portal's organisation key (:mod:`submit_api.portal_key`): Adobe Reader shows it in its
  signature panel, ``pdfsig report.pdf`` (poppler-utils) prints "Signature is Valid.".
* The CSV, XLSX and JSON of a language are covered by ``report.sha256.json`` beside them (the
  SHA-256 of every file of that language, the PDF included) and its detached CMS signature
  ``report.sha256.json.p7s``. With common tools::

      sha256sum report.csv            # compare with report.sha256.json
      openssl cms -verify -binary -inform DER -in report.sha256.json.p7s \\
          -content report.sha256.json -CAfile portal-certificate.pem -purpose any

* :func:`verify_file` does both for one downloaded file (``ashyq reports verify FILE``).

No timestamp authority is reachable here, so the signatures are PAdES B-B / CAdES-BES: the
signing time is the portal's claim. A production deployment adds its TSA (pyHanko's
``timestamper``) for B-T.
"""
from __future__ import annotations

import asyncio
import hashlib
import io
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from submit_api.portal_key import PortalKey

MANIFEST = "report.sha256.json"
SIGNATURE = MANIFEST + ".p7s"
FIELD_NAME = "AshyqPortal"
MANIFEST_FORMAT = 1
SIGNATURE_ROOM = 16384     # bytes for the CMS: a 4096-bit RSA chain of three fits


def _outside_loop(call):
    """``call()`` where ``asyncio.run`` works: pyHanko's synchronous functions start an event
    loop, which fails inside a running one (a Playwright test, an async server): then in a
    short-lived thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


@dataclass
class Verdict:
    """What :func:`verify_file` found: ``ok`` only when every check passed."""

    path: str
    kind: str                       # pdf | manifest
    ok: bool = False
    signer: str = ""
    signed_at: str = ""
    problems: list[str] = field(default_factory=list)


def sign_pdf(body: bytes, key: PortalKey, *, reason: str = "", location: str = "") -> bytes:
    """``body`` with a PAdES signature of the whole file by the portal's key."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME, subfilter=SigSeedSubFilter.PADES, md_algorithm="sha256",
        reason=reason or None, location=location or None, name=key.name)
    writer = IncrementalPdfFileWriter(io.BytesIO(body), strict=False)
    # a reserved size skips pyHanko's dry-run signature that measures it (twice as fast)
    out = _outside_loop(lambda: signers.sign_pdf(writer, meta, signer=key.signer(),
                                                 bytes_reserved=SIGNATURE_ROOM))
    return out.getvalue()


def pdf_signer(key: PortalKey, reason: str = "", location: str = ""):
    """A ``bytes -> bytes`` function for :func:`submit_api.reports.render.render_report`."""
    return lambda body: sign_pdf(body, key, reason=reason, location=location)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as src:
        for block in iter(lambda: src.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(folder: Path, uid: str, version: int, lang: str, key: PortalKey) -> list[Path]:
    """``report.sha256.json`` of the files in ``folder`` (one language) and its CMS signature."""
    files = {p.name: sha256_file(p) for p in sorted(folder.iterdir())
             if p.is_file() and p.name not in (MANIFEST, SIGNATURE)}
    manifest = {"format": MANIFEST_FORMAT, "rule": "R17", "uid": uid, "version": version,
                "lang": lang, "algorithm": "sha256", "files": files, "signer": key.name,
                "demo": key.demo}
    text = (json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode()
    (folder / MANIFEST).write_bytes(text)
    (folder / SIGNATURE).write_bytes(sign_detached(text, key))
    return [folder / MANIFEST, folder / SIGNATURE]


def sign_detached(data: bytes, key: PortalKey) -> bytes:
    """A detached CMS (PKCS #7) signature of ``data``, DER."""
    signed = _outside_loop(lambda: asyncio.run(
        key.signer().async_sign_general_data(data, "sha256", detached=True)))
    return signed.dump()


# --- checking ------------------------------------------------------------------------------------

def _context(trusted: list[x509.Certificate]):
    from asn1crypto import x509 as asn1_x509
    from pyhanko_certvalidator import ValidationContext

    roots = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
             for c in trusted]
    return ValidationContext(trust_roots=roots, allow_fetching=False,
                             revocation_mode="soft-fail")


def load_certificates(path: str | Path) -> list[x509.Certificate]:
    """Trusted certificates from a PEM file (``portal-certificate.pem``)."""
    return x509.load_pem_x509_certificates(Path(path).read_bytes())


def verify_pdf(body: bytes, trusted: list[x509.Certificate], path: str = "") -> Verdict:
    """The PDF's portal signature: intact, covering the whole file, by a trusted certificate."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    verdict = Verdict(path, "pdf")
    try:
        reader = PdfFileReader(io.BytesIO(body), strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:                       # noqa: BLE001 - any parse error: not valid
        verdict.problems.append(f"not a readable PDF: {exc}")
        return verdict
    if not signatures:
        verdict.problems.append("the PDF has no signature")
        return verdict
    try:
        status = _outside_loop(lambda: validate_pdf_signature(signatures[0], _context(trusted)))
    except Exception as exc:                       # noqa: BLE001
        verdict.problems.append(f"the signature cannot be checked: {exc}")
        return verdict
    verdict.signer = status.signing_cert.subject.human_friendly if status.signing_cert else ""
    verdict.signed_at = status.signer_reported_dt.isoformat() if status.signer_reported_dt else ""
    if not status.intact or not status.valid:
        verdict.problems.append("the file was changed after it was signed")
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        verdict.problems.append("the signature does not cover the whole file")
    if not status.trusted:
        verdict.problems.append("the signer is not the portal's certificate")
    verdict.ok = not verdict.problems
    return verdict


def verify_manifest(manifest_path: Path, trusted: list[x509.Certificate]) -> tuple[Verdict, dict]:
    """A manifest's CMS signature (the ``.p7s`` beside it); returns the verdict and the
    manifest."""
    from asn1crypto import cms
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms

    signature_path = manifest_path.with_name(manifest_path.name + ".p7s")
    verdict = Verdict(str(manifest_path), "manifest")
    try:
        text = manifest_path.read_bytes()
        signed = cms.ContentInfo.load(signature_path.read_bytes())["content"]
        manifest = json.loads(text)
    except (OSError, ValueError) as exc:
        verdict.problems.append(f"no readable {manifest_path.name} and {signature_path.name} "
                                f"beside the file: {exc}")
        return verdict, {}
    try:
        status = _outside_loop(lambda: asyncio.run(async_validate_detached_cms(
            text, signed, signer_validation_context=_context(trusted))))
    except Exception as exc:                       # noqa: BLE001
        verdict.problems.append(f"the manifest's signature cannot be checked: {exc}")
        return verdict, manifest
    verdict.signer = status.signing_cert.subject.human_friendly if status.signing_cert else ""
    if not status.intact or not status.valid:
        verdict.problems.append("the manifest was changed after it was signed")
    if not status.trusted:
        verdict.problems.append("the manifest's signer is not the portal's certificate")
    verdict.ok = not verdict.problems
    return verdict, manifest


def attached_name(uid: str, version: int, lang: str, name: str) -> str:
    """The name a report file carries as an e-mail attachment: ``report.pdf`` of BP-1 v2 in
    Kazakh is ``BP-1-v2-kk.pdf``, its manifest ``BP-1-v2-kk.sha256.json`` (R17)."""
    return f"{uid}-v{version}-{lang}." + name.split(".", 1)[1]


def _manifest_beside(path: Path) -> Path:
    """The signed manifest for ``path``: ``report.sha256.json`` in a report folder, or the
    e-mailed ``<uid>-v<n>-<lang>.sha256.json`` beside an attachment of the same stem."""
    if (path.parent / MANIFEST).exists():
        return path.parent / MANIFEST
    return path.with_name(path.name.split(".", 1)[0] + "." + MANIFEST.split(".", 1)[1])


def verify_file(path: str | Path, trusted: list[x509.Certificate]) -> list[Verdict]:
    """Check one downloaded report file: a PDF by its own signature and by the manifest beside
    it (when there is one); any other file by the signed manifest beside it."""
    path = Path(path)
    verdicts = []
    manifest_path = _manifest_beside(path)
    if path.suffix.lower() == ".pdf":
        verdicts.append(verify_pdf(path.read_bytes(), trusted, str(path)))
        if not manifest_path.exists():
            return verdicts
    verdict, manifest = verify_manifest(manifest_path, trusted)
    files = manifest.get("files", {})
    # an e-mailed attachment is listed under the name it has in the report folder
    expected = files.get(path.name, files.get("report" + path.suffix))
    if manifest and expected is None:
        verdict.problems.append(f"{path.name} is not in the manifest")
    elif expected and sha256_file(path) != expected:
        verdict.problems.append(f"{path.name} differs from the signed SHA-256")
    verdict.ok = not verdict.problems
    verdicts.append(verdict)
    return verdicts
