"""Hardened XML parsing and the shape an NCALayer sign-in signature must have (R13).

NCALayer signs enveloped: one ``ds:Signature`` as a direct child of the root, one
``ds:Reference URI=""`` covering the whole document, transforms enveloped-signature plus a
canonicalization. Anything else is refused before any cryptography runs, so a signature-wrapping
attempt never gets to the point where unsigned content could be returned.
"""
from __future__ import annotations

import base64
import binascii

from lxml import etree

from .model import SignatureRejected

DS = "http://www.w3.org/2000/09/xmldsig#"
NS = {"ds": DS}
ENVELOPED = DS + "enveloped-signature"
C14N_TRANSFORMS = frozenset({
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
    "http://www.w3.org/2006/12/xml-c14n11",
    "http://www.w3.org/2006/12/xml-c14n11#WithComments",
    "http://www.w3.org/2001/10/xml-exc-c14n#",
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
})


def safe_parser() -> etree.XMLParser:
    """A fresh parser that loads no DTD, expands no entity and never touches the network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_pis=False)


def parse_xml(data: bytes | str) -> etree._Element:
    """Parse untrusted XML; DTDs, entity references and junk are refused as "malformed" (R13)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, bytes) or not data.strip():
        raise SignatureRejected("malformed", "The signed document is empty.")
    try:
        root = etree.fromstring(data, parser=safe_parser())
    except etree.XMLSyntaxError as exc:
        raise SignatureRejected("malformed", f"The signed document is not well-formed XML: {exc}.")
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.doctype:
        raise SignatureRejected("malformed", "The signed document has a DTD.")
    if any(True for _ in root.iter(etree.Entity)):
        raise SignatureRejected("malformed", "The signed document has entity references.")
    return root


def enveloped_signature(root: etree._Element) -> etree._Element:
    """The single root-level ``ds:Signature`` with one ``Reference URI=""``, or a refusal (R13)."""
    if root.tag == f"{{{DS}}}Signature":
        raise SignatureRejected("wrapped", "The document is a bare signature, not an enveloped one.")
    signatures = list(root.iter(f"{{{DS}}}Signature"))
    if not signatures:
        raise SignatureRejected("no_signature", "The document carries no ds:Signature.")
    if len(signatures) > 1:
        raise SignatureRejected("wrapped", f"The document carries {len(signatures)} signatures.")
    signature = signatures[0]
    if signature.getparent() is not root:
        raise SignatureRejected("wrapped", "The ds:Signature is not a direct child of the root.")
    signed_info = signature.findall("ds:SignedInfo", NS)
    references = signed_info[0].findall("ds:Reference", NS) if len(signed_info) == 1 else []
    if len(signed_info) != 1 or len(references) != 1:
        raise SignatureRejected("wrapped", "The signature must have exactly one SignedInfo/Reference.")
    if references[0].get("URI") != "":
        raise SignatureRejected("wrapped", 'The signature reference must be URI="" (the whole document).')
    transforms = [t.get("Algorithm") for t in references[0].findall("ds:Transforms/ds:Transform", NS)]
    if ENVELOPED not in transforms or any(t != ENVELOPED and t not in C14N_TRANSFORMS for t in transforms):
        raise SignatureRejected("bad_signature", f"Unexpected reference transforms {transforms}.")
    return signature


def leaf_certificate_der(signature: etree._Element) -> bytes:
    """The first KeyInfo/X509Data/X509Certificate (NCALayer sends the leaf only), as DER."""
    found = signature.findall("ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS)
    if not found or not (found[0].text or "").strip():
        raise SignatureRejected("bad_signature", "The signature carries no X509Certificate.")
    try:
        return base64.b64decode("".join(found[0].text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureRejected("bad_signature", "The X509Certificate is not valid base64.")


def read_enveloped(signed_xml: bytes | str) -> tuple[bytes, etree._Element, etree._Element, bytes]:
    """The first steps of every checker: the document as bytes, its root, its one root-level
    signature (structure checked) and the leaf certificate as DER."""
    if isinstance(signed_xml, str):
        signed_xml = signed_xml.encode("utf-8")
    root = parse_xml(signed_xml)
    signature = enveloped_signature(root)
    return signed_xml, root, signature, leaf_certificate_der(signature)


def without_signature(root: etree._Element, signature: etree._Element) -> etree._Element:
    """A canonical copy of the document with the signature removed and no comments.

    Round-tripping through C14N merges text split by comments, so the caller reads the same
    text the signature covered (as signxml does for ``signed_xml``).
    """
    parent = signature.getparent()
    tail = signature.tail
    if tail:
        previous = signature.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(signature)
    c14n = etree.tostring(root, method="c14n", with_comments=False)
    return etree.fromstring(c14n, parser=safe_parser())
