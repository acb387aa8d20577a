"""R14 "1000 characters" are user-perceived characters (graphemes, RULES.md interpretation),
counted on the server with the ``regex`` package's \\X as the browser counts them with
Intl.Segmenter (tests/test_browser.py types the same text into the real page)."""
from __future__ import annotations

import pytest

from submit_api.proposals import MAX_PROPOSAL_CHARS, grapheme_count
from tests.helpers import propose

FAMILY = "\U0001F468\u200d\U0001F469\u200d\U0001F467"   # one grapheme, 8 UTF-16 units
FLAG_KZ = "\U0001F1F0\U0001F1FF"                         # one grapheme, 2 code points
E_ACUTE = "е\u0301"                                      # Cyrillic е + combining acute: one


@pytest.mark.parametrize("text, n", [
    ("қазақ", 5), (FAMILY, 1), (FLAG_KZ, 1), (E_ACUTE, 1), ("a\r\nb", 3), ("", 0)])
def test_r14_graphemes(text, n):
    assert grapheme_count(text) == n


def test_r14_1000_graphemes_accepted_1001_refused(client, sign_in):
    sign_in(client)
    text = "а" * 997 + FAMILY + FLAG_KZ + E_ACUTE           # 1000 graphemes, 1009 code points
    assert len(text) > MAX_PROPOSAL_CHARS and grapheme_count(text) == 1000
    assert propose(client, text).status_code == 201
    refused = propose(client, text + "б")
    error = refused.get_json()["errors"][0]
    assert refused.status_code == 422 and (error["code"], error["rule"]) == ("text_too_long", "R14")
    assert "1001" in refused.get_json()["error"]
