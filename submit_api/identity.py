"""Who a person is, without keeping who they are: the database stores only a keyed hash of
the IIN from their certificate (R13), never the IIN, a name or the certificate."""
from __future__ import annotations

import hashlib
import hmac


def person_id(iin: str, key: str) -> str:
    """The keyed hash (HMAC-SHA-256) that stands for the holder of ``iin`` in the database."""
    return hmac.new(key.encode(), f"iin:{iin}".encode(), hashlib.sha256).hexdigest()
