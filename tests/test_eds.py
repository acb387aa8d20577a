"""R13: proposals come only from users signed in with an electronic digital signature (ЭЦҚ).

Every signature here is real: made with the test PKI's keys (signxml, as NCALayer signs), or by
the independent xmlsec1 tool, and verified by the production checkers.
"""
from __future__ import annotations

import hashlib
import logging
import shutil
import socket
from datetime import timedelta

import pytest
from asn1crypto import pem
from cryptography.hazmat.primitives import serialization
from lxml import etree

from submit_api.eds import (
    EdsConfigError, NcaNodeChecker, SignatureRejected, XmlDsigChecker, iin_is_valid, make_checker)
from submit_api.eds.model import iin_check_digit
from submit_api.eds.testpki import C14N, make_iin, make_test_pki
from tests.eds_fixtures import (  # noqa: F401 - fixtures
    DS, NONCE, WRAPPINGS, challenge, crl_checker, eds_pki, eds_responder, fake_ncanode,
    ncanode_answer, ocsp_checker, sign_legacy, sign_with_xmlsec1, utc_now)


def rejected(checker, signed: bytes) -> str:
    """The refusal code, failing the test if the document was accepted."""
    with pytest.raises(SignatureRejected) as info:
        checker.check(signed)
    return info.value.code


# --- IIN checksum ---------------------------------------------------------------------------------

def test_r13_iin_checksum_hand_checked_example():
    # 9*1 + 0*2 + 0*3 + 1*4 + 0*5 + 1*6 + 3*7 + 0*8 + 0*9 + 0*10 + 0*11 = 40; 40 mod 11 = 7
    assert iin_is_valid("900101300007")
    assert not iin_is_valid("900101300008")


def test_r13_iin_checksum_second_weights_when_first_sum_is_ten():
    # 9*1 + 1*4 + 1*6 + 3*7 + 8*10 + 1*11 = 131; 131 mod 11 = 10 -> second weights:
    # 9*3 + 1*6 + 1*8 + 3*9 + 8*1 + 1*2 = 78; 78 mod 11 = 1
    assert iin_is_valid("900101300811")
    assert not iin_is_valid("900101300810")


@pytest.mark.parametrize("iin", [make_iin(n) for n in (1, 2, 3, 42, 777)] + ["080540000100"])
def test_r13_generated_iins_are_valid(iin):
    assert iin_is_valid(iin)


@pytest.mark.parametrize("iin", ["", "90010130000", "9001013000070", "90010130000a",
                                 "９００１０１３０００７", " 900101300007", "900101300001"])
def test_r13_malformed_iins_are_invalid(iin):
    assert not iin_is_valid(iin)


def test_r13_iin_with_no_possible_control_digit_is_invalid():
    # 9*1 + 1*4 + 1*6 + 3*7 + 8*10 = 120 -> 10; 9*3 + 1*6 + 1*8 + 3*9 + 8*1 = 76 -> 10 again
    assert iin_check_digit("90010130080") is None
    assert not any(iin_is_valid(f"90010130080{d}") for d in range(10))


# --- XmlDsigChecker: accepted ---------------------------------------------------------------------

def test_r13_signed_challenge_is_accepted(crl_checker, eds_pki):
    verified = crl_checker.check(eds_pki.sign_xml(challenge()))
    assert verified.signer.iin == eds_pki.leaf("auth").iin
    assert verified.signer.kind == "individual" and verified.signer.bin is None
    assert (verified.signer.common_name, verified.signer.surname, verified.signer.given_name) == (
        "ТЕСТОВ ТЕСТ", "ТЕСТОВ", "ТЕСТОВИЧ")
    assert verified.root.tag == "login" and verified.root.findtext("nonce") == NONCE
    assert verified.root.find(f".//{{{DS}}}Signature") is None


def test_r13_each_person_is_told_apart(crl_checker, eds_pki):
    iins = {crl_checker.check(eds_pki.sign_xml(challenge(), eds_pki.person(n))).signer.iin
            for n in (1, 2, 3)}
    assert len(iins) == 3


def test_r13_certificate_fingerprint_is_of_the_leaf(crl_checker, eds_pki):
    der = eds_pki.leaf("auth").cert.public_bytes(serialization.Encoding.DER)
    signer = crl_checker.check(eds_pki.sign_xml(challenge())).signer
    assert signer.certificate_sha256 == hashlib.sha256(der).hexdigest()


@pytest.mark.parametrize("transform", [C14N, C14N + "#WithComments"])  # NCALayer uses the latter
def test_r13_signature_by_xmlsec1_is_accepted(crl_checker, eds_pki, tmp_path, transform):
    if shutil.which("xmlsec1") is None:
        pytest.skip("xmlsec1 is not installed (apt-get install xmlsec1); CI installs it")
    verified = crl_checker.check(sign_with_xmlsec1(eds_pki.leaf("auth"), tmp_path, transform))
    assert verified.signer.iin == eds_pki.leaf("auth").iin
    assert verified.root.findtext("nonce") == NONCE


def test_r13_legal_entity_key_accepted_only_when_allowed(eds_pki):
    checker = XmlDsigChecker(eds_pki.trusted_bundle, crl_sources=[str(p) for p in eds_pki.crls],
                             allowed_kinds=frozenset({"individual", "legal"}))
    signer = checker.check(eds_pki.sign_xml(challenge(), "legal")).signer
    assert (signer.kind, signer.bin, signer.iin) == ("legal", eds_pki.leaf("legal").bin,
                                                     eds_pki.leaf("legal").iin)


def test_r13_comment_cannot_truncate_signed_text(crl_checker, eds_pki):
    signed = eds_pki.sign_xml(challenge()).replace(NONCE.encode(), b"n-4f1c<!--x-->2a9e")
    assert crl_checker.check(signed).root.findtext("nonce") == NONCE


# --- XmlDsigChecker: refused ----------------------------------------------------------------------

@pytest.mark.parametrize("who, code", [
    ("sign", "wrong_key_usage"), ("expired", "expired"), ("revoked", "revoked"),
    ("future", "not_yet_valid"), ("foreign", "untrusted_chain"), ("bad_iin", "bad_iin"), ("no_iin", "no_iin"),
    ("legal", "wrong_key_usage"),
])
def test_r13_certificate_refused_crl_mode(crl_checker, eds_pki, who, code):
    assert rejected(crl_checker, eds_pki.sign_xml(challenge(), who)) == code


@pytest.mark.parametrize("who, code", [("auth", None), ("revoked", "revoked"),
                                       ("sign", "wrong_key_usage")])
def test_r13_revocation_checked_by_ocsp(ocsp_checker, eds_pki, who, code):
    signed = eds_pki.sign_xml(challenge(), who)
    if code is None:
        assert ocsp_checker.check(signed).signer.iin == eds_pki.leaf(who).iin
    else:
        assert rejected(ocsp_checker, signed) == code


def test_r13_tampered_document_is_refused(crl_checker, eds_pki):
    signed = eds_pki.sign_xml(challenge()).replace(NONCE.encode(), b"n-00000000")
    assert rejected(crl_checker, signed) == "bad_signature"


def test_r13_missing_signature_is_refused(crl_checker):
    assert rejected(crl_checker, challenge()) == "no_signature"


@pytest.mark.parametrize("data", [b"", b"not xml", b"<login><nonce>x</login>",
                                  b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                                  b"<login>&e;</login>",
                                  b'<!DOCTYPE x [<!ENTITY a "aaaa">]><login>&a;</login>'])
def test_r13_malformed_or_dtd_documents_are_refused(crl_checker, data):
    assert rejected(crl_checker, data) == "malformed"


@pytest.mark.parametrize("wrap, code", WRAPPINGS, ids=[w.__name__ for w, _ in WRAPPINGS])
def test_r13_wrapped_signature_is_refused(crl_checker, eds_pki, wrap, code):
    assert rejected(crl_checker, wrap(eds_pki.sign_xml(challenge()))) == code


def test_r13_reference_to_a_part_of_the_document_is_refused(crl_checker, eds_pki):
    xml = b'<login><part Id="p1"><nonce>n-1</nonce></part><nonce>EVIL</nonce></login>'
    assert rejected(crl_checker, eds_pki.sign_xml(xml, reference_uri="#p1")) == "wrapped"


@pytest.mark.parametrize("sig, digest", [("rsa-sha1", "sha1"), ("rsa-sha1", "sha256"),
                                         ("rsa-sha256", "sha1")])
def test_r13_sha1_signature_is_refused(crl_checker, eds_pki, sig, digest):
    signed = sign_legacy(challenge(), eds_pki.leaf("auth"), sig, digest)
    assert rejected(crl_checker, signed) == "bad_signature"


def test_r13_signature_by_another_key_than_the_certificate_is_refused(crl_checker, eds_pki):
    signed = eds_pki.sign_xml(challenge(), "person1")
    own = etree.fromstring(eds_pki.sign_xml(challenge(), "auth"))
    forged = etree.fromstring(signed)
    cert_path = f"{{{DS}}}Signature/{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate"
    forged.find(cert_path).text = own.find(cert_path).text
    assert rejected(crl_checker, etree.tostring(forged)) == "bad_signature"


def test_r13_crl_missing_for_the_issuer_is_revocation_unknown(eds_pki):
    checker = XmlDsigChecker(eds_pki.trusted_bundle, crl_sources=[str(eds_pki.crls[1])])
    assert rejected(checker, eds_pki.sign_xml(challenge())) == "revocation_unknown"


def test_r13_crls_from_url_and_pem_file(eds_pki, tmp_path):
    root_pem = tmp_path / "root.crl.pem"
    root_pem.write_bytes(pem.armor("X509 CRL", eds_pki.crls[1].read_bytes()))
    checker = XmlDsigChecker(eds_pki.trusted_bundle,
                             crl_sources=[eds_pki.crl_url("intermediate"), str(root_pem)])
    assert checker.check(eds_pki.sign_xml(challenge())).signer.iin == eds_pki.leaf("auth").iin
    assert rejected(checker, eds_pki.sign_xml(challenge(), "revoked")) == "revoked"


def test_r13_checker_moment_is_used_for_dates(eds_pki):
    checker = XmlDsigChecker(eds_pki.trusted_bundle, revocation="off",
                             moment=lambda: utc_now() + timedelta(days=60))
    assert checker.check(eds_pki.sign_xml(challenge(), "future")).signer.kind == "individual"
    assert rejected(checker, eds_pki.sign_xml(challenge(), "expired")) == "expired"


def test_r13_revocation_off_accepts_revoked_and_warns(eds_pki, caplog):
    with caplog.at_level(logging.WARNING, logger="submit_api.eds"):
        checker = XmlDsigChecker(eds_pki.trusted_bundle, revocation="off")
    assert "OFF" in caplog.text
    assert checker.check(eds_pki.sign_xml(challenge(), "revoked")).signer.iin == \
        eds_pki.leaf("revoked").iin


# --- NcaNodeChecker -------------------------------------------------------------------------------

@pytest.fixture
def nca(fake_ncanode):
    fake_ncanode.requests.clear()
    return fake_ncanode


def test_r13_ncanode_valid_answer_is_accepted(nca, eds_pki):
    nca.reply = (200, ncanode_answer(eds_pki.leaf("auth")))
    signed = eds_pki.sign_xml(challenge())
    verified = NcaNodeChecker(nca.url, revocation="ocsp").check(signed)
    assert verified.signer.iin == eds_pki.leaf("auth").iin
    assert (verified.signer.surname, verified.signer.given_name) == ("ТЕСТОВ", "ТЕСТОВИЧ")
    assert verified.root.findtext("nonce") == NONCE
    assert verified.root.find(f".//{{{DS}}}Signature") is None
    path, body = nca.requests[-1]
    assert path == "/xml/verify"
    assert body == {"xml": signed.decode(), "revocationCheck": ["OCSP"]}


def test_r13_ncanode_chain_shaped_answer_is_accepted(nca, eds_pki):
    answer = ncanode_answer(eds_pki.leaf("legal"), keyUser=["ORGANIZATION", "CEO"])
    answer["signers"][0]["subject"]["bin"] = eds_pki.leaf("legal").bin
    answer["signers"] = [{"certificates": answer["signers"]}]
    nca.reply = (200, answer)
    checker = NcaNodeChecker(nca.url, allowed_kinds=frozenset({"individual", "legal"}))
    signer = checker.check(eds_pki.sign_xml(challenge(), "legal")).signer
    assert (signer.kind, signer.bin) == ("legal", eds_pki.leaf("legal").bin)


@pytest.mark.parametrize("overrides, code", [
    ({"valid_all": False, "revocations": [{"revoked": True, "by": "CRL"}]}, "revoked"),
    ({"valid_all": False, "valid": False, "notAfter": "2020-01-01T00:00:00.000+00:00"}, "expired"),
    ({"valid_all": False, "valid": False, "notBefore": 4102444800000}, "not_yet_valid"),
    ({"valid_all": False, "valid": False}, "untrusted_chain"),
    ({"valid_all": False}, "bad_signature"),
    ({"keyUsage": "SIGN"}, "wrong_key_usage"),
    ({"keyUser": ["ORGANIZATION"]}, "wrong_key_usage"),
    ({"subject": {"iin": "900101300008"}}, "bad_iin"),
    ({"subject": {"commonName": "X"}}, "no_iin"),
    ({"serialNumber": "abc123"}, "bad_signature"),
    ({"revocations": [{"revoked": False, "by": "OCSP"}]}, "revocation_unknown"),
])
def test_r13_ncanode_invalid_answers_are_refused(nca, eds_pki, overrides, code):
    nca.reply = (200, ncanode_answer(eds_pki.leaf("auth"), **overrides))
    assert rejected(NcaNodeChecker(nca.url, revocation="crl"), eds_pki.sign_xml(challenge())) == code


@pytest.mark.parametrize("reply, code", [
    ((500, {"status": 500, "message": "Kalkan error"}), "checker_unavailable"),
    ((200, b"<html>proxy error</html>"), "checker_unavailable"),
    ((400, {"status": 400, "message": "Cannot read XML"}), "bad_signature"),
    ((200, {"status": 200, "valid": True, "signers": []}), "bad_signature"),
])
def test_r13_ncanode_error_answers_are_refused(nca, eds_pki, reply, code):
    nca.reply = reply
    assert rejected(NcaNodeChecker(nca.url), eds_pki.sign_xml(challenge())) == code


def test_r13_ncanode_down_is_checker_unavailable(eds_pki):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    checker = NcaNodeChecker(f"http://127.0.0.1:{port}", timeout=2)
    assert rejected(checker, eds_pki.sign_xml(challenge())) == "checker_unavailable"


@pytest.mark.parametrize("make, code", [
    (lambda pki: challenge(), "no_signature"),
    (lambda pki: WRAPPINGS[0][0](pki.sign_xml(challenge())), "wrapped"),
    (lambda pki: WRAPPINGS[3][0](pki.sign_xml(challenge())), "wrapped"),
    (lambda pki: b"<login>", "malformed"),
])
def test_r13_ncanode_structure_refused_before_asking(nca, eds_pki, make, code):
    nca.reply = (200, ncanode_answer(eds_pki.leaf("auth")))
    assert rejected(NcaNodeChecker(nca.url), make(eds_pki)) == code
    assert nca.requests == []


def test_r13_ncanode_returns_only_the_signed_text(nca, eds_pki):
    nca.reply = (200, ncanode_answer(eds_pki.leaf("auth")))
    signed = eds_pki.sign_xml(challenge()).replace(NONCE.encode(), b"n-4f1c<!--x-->2a9e")
    assert NcaNodeChecker(nca.url).check(signed).root.findtext("nonce") == NONCE


# --- configuration and the test PKI --------------------------------------------------------------

def test_r13_make_checker_from_config(eds_pki):
    checker = make_checker({"EDS_TRUSTED_CERTS": str(eds_pki.trusted_bundle),
                            "EDS_CRLS": f"{eds_pki.crls[0]}, {eds_pki.crls[1]}"})
    assert isinstance(checker, XmlDsigChecker) and checker.revocation == "crl"
    assert checker.check(eds_pki.sign_xml(challenge())).signer.iin == eds_pki.leaf("auth").iin
    nca = make_checker({"EDS_CHECKER": "ncanode", "NCANODE_URL": "http://127.0.0.1:1/",
                        "EDS_REVOCATION": "ocsp", "EDS_ALLOWED_KINDS": ["individual", "legal"]})
    assert isinstance(nca, NcaNodeChecker)
    assert (nca.url, nca.revocation, nca.allowed_kinds) == (
        "http://127.0.0.1:1", "ocsp", frozenset({"individual", "legal"}))


@pytest.mark.parametrize("config", [
    {}, {"EDS_TRUSTED_CERTS": "/nonexistent.pem"}, {"EDS_CHECKER": "ncanode"},
    {"EDS_CHECKER": "magic"}, {"EDS_TRUSTED_CERTS": "x.pem", "EDS_REVOCATION": "maybe"},
    {"EDS_TRUSTED_CERTS": "x.pem", "EDS_ALLOWED_KINDS": "robots"},
])
def test_r13_make_checker_refuses_bad_config(config):
    with pytest.raises(EdsConfigError):
        make_checker(config)


def test_r13_test_pki_is_reused_until_it_expires(tmp_path):
    first = make_test_pki(tmp_path, persons=1)
    again = make_test_pki(tmp_path, persons=1)
    assert again.root.cert == first.root.cert and again.leaf("auth").iin == first.leaf("auth").iin
    later = make_test_pki(tmp_path, persons=1, now=utc_now() + timedelta(days=400))
    assert later.root.cert != first.root.cert
