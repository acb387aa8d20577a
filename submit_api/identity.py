"""Who a person is, without keeping who they are: the database stores only keyed hashes
(HMAC-SHA-256 with ``IDENTITY_KEY``) of the IIN and, for a legal person, of the BIN from the
certificate (R13), never the IIN, the BIN, a name or the certificate.

Who *takes part* (votes, proposes) is the participant (:func:`participant`): the person
for an individual's key; the organisation for a legal entity's key (paragraph 2(1): an
information user is a natural or legal person; paragraphs 11 and 13 give them the vote and the
proposal; R11, R13). Staff roles (R8) belong to persons, so the signer's own key is kept too.
Every sign-in (NCALayer, eGov mobile) goes through :func:`participant`.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass


def person_id(iin: str, key: str) -> str:
    """The keyed hash (HMAC-SHA-256) that stands for the holder of ``iin`` in the database."""
    return hmac.new(key.encode(), f"iin:{iin}".encode(), hashlib.sha256).hexdigest()


def organisation_id(bin_: str, key: str) -> str:
    """The keyed hash that stands for the legal person with business number ``bin_``."""
    return hmac.new(key.encode(), f"bin:{bin_}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Participant:
    """The result of a sign-in: the signer (a person) and on whose behalf they take part."""

    person: str   # keyed IIN of the signer: staff roles (R8), the signer of a legal act
    party: str    # who votes and proposes: the person, or the organisation (keyed BIN)
    kind: str     # "individual" | "legal"

    @property
    def is_organisation(self) -> bool:
        return self.kind == "legal"


def participant(kind: str, iin: str, bin_: str | None, key: str) -> Participant:
    """¶2(1), R11, R13: an individual's key takes part as the person; a legal entity's AUTH
    key (key user 1.2.398.3.3.4.1.2.x, BIN in the subject) as the organisation, so an
    organisation has one vote per document or proposal whoever of its people signs."""
    person = person_id(iin, key)
    if kind == "legal":
        if not bin_:
            raise ValueError("a legal entity's key without a BIN")  # the checkers refuse it first
        return Participant(person, organisation_id(bin_, key), "legal")
    return Participant(person, person, "individual")
