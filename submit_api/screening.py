"""Automatic screening of proposals for the operator (R14, R15).

Flags - obscene words and insults, links (advertising), phone numbers, repeated text (spam) -
inform the operator's decision; they never publish or refuse on their own. Word lists are data
(``data/screening/{kk,ru}.txt``), matched after undoing the usual tricks: letter case, Latin
look-alike letters and digits, letters spaced or dotted apart, letters repeated.
"""
from __future__ import annotations

import hashlib
import re
import sqlite3
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import phonenumbers

from submit_api.store import proposals as store

WORD_LISTS = Path(__file__).parent / "data" / "screening"

# Latin letters and digits that pass for Cyrillic ones.
HOMOGLYPHS = str.maketrans({
    "a": "а", "b": "в", "c": "с", "e": "е", "h": "н", "k": "к", "m": "м", "o": "о", "p": "р",
    "t": "т", "x": "х", "y": "у", "u": "и", "i": "і", "3": "з", "0": "о", "6": "б", "@": "а",
    "4": "ч", "ё": "е",
})
SPACED_LETTERS = re.compile(r"(?<!\w)(?:\w[\s.\-_*·,]+){2,}\w(?!\w)")
SEPARATORS = re.compile(r"[\s.\-_*·,]+")
REPEATS = re.compile(r"(\w)\1+")
WORD = re.compile(r"[^\W\d_]+")
WORD_OR_NUMBER = re.compile(r"[^\W_]+")
LINK = re.compile(
    r"(?:https?://|www\.)\S+"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:kz|қаз|ru|рф|com|org|net|info|io|me|su|biz|shop|online|site|ly)\b"
    r"|(?:t\.me|wa\.me)/\S+",
    re.IGNORECASE)
CHAR_RUN = re.compile(r"(.)\1{9,}")

CONTROL_ALLOWED = {"\n", "\r", "\t"}
# R14: embeddings, overrides and isolates make a text read otherwise than it is stored.
BIDI_CONTROLS = frozenset(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))


@dataclass(frozen=True)
class WordList:
    stems: tuple[str, ...]      # match at the start of a word
    words: frozenset[str]       # match whole words only
    phrases: tuple[str, ...]    # several words


def _squeeze(text: str) -> str:
    return REPEATS.sub(r"\1", text)


def fold(text: str) -> str:
    """Text as matched against the lists: NFKC, case-folded, look-alikes mapped to Cyrillic,
    spaced-out letters joined, repeated letters squeezed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = text.translate(HOMOGLYPHS)
    text = SPACED_LETTERS.sub(lambda m: SEPARATORS.sub("", m.group(0)), text)
    return _squeeze(text)


@lru_cache(maxsize=4)
def load_word_list(lang: str) -> WordList:
    stems, words, phrases = [], set(), []
    for raw in (WORD_LISTS / f"{lang}.txt").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exact = line.startswith("=")
        entry = fold(line.lstrip("="))
        if " " in entry:
            phrases.append(entry)
        elif exact:
            words.add(entry)
        else:
            stems.append(entry)
    return WordList(tuple(stems), frozenset(words), tuple(phrases))


def obscene_words(text: str) -> list[str]:
    """Words of ``text`` that match the kk or ru lists (folded forms)."""
    folded = fold(text)
    found = []
    for lang in ("ru", "kk"):
        wl = load_word_list(lang)
        for word in WORD.findall(folded):
            if word in wl.words or any(word.startswith(s) for s in wl.stems):
                found.append(word)
        found += [p for p in wl.phrases if re.search(rf"(?<!\w){re.escape(p)}(?!\w)", folded)]
    return sorted(set(found))


def links(text: str) -> list[str]:
    return LINK.findall(unicodedata.normalize("NFKC", text))


def phone_numbers(text: str) -> list[str]:
    return [phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.E164)
            for m in phonenumbers.PhoneNumberMatcher(text, "KZ")]


def is_repetitive(text: str) -> bool:
    """Spam-like text: a long run of one character, or one word making up most of the text."""
    if CHAR_RUN.search(text):
        return True
    words = [w for w in WORD.findall(text.casefold()) if len(w) >= 3]
    if len(words) < 5:
        return False
    _, count = Counter(words).most_common(1)[0]
    return count >= 5 and count / len(words) >= 0.3


def text_key(text: str) -> str:
    """Identity of a text for duplicate and repeat detection: case, spacing and punctuation
    aside; numbers count ("programme 001 by 10 %" is not "programme 002 by 50 %")."""
    folded = " ".join(WORD_OR_NUMBER.findall(unicodedata.normalize("NFKC", text).casefold()))
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def screen(text: str, conn: sqlite3.Connection | None = None, person: str | None = None) -> list[dict]:
    """The screening flags of a proposal; ``conn`` lets it notice the same text from others."""
    flags = []
    if words := obscene_words(text):
        flags.append({"flag": "obscene", "count": len(words)})
    if found := links(text):
        flags.append({"flag": "link", "count": len(found)})
    if found := phone_numbers(text):
        flags.append({"flag": "phone", "count": len(found)})
    repeated_by = 0
    if conn is not None:
        repeated_by = store.repeated_by(conn, text_key(text), person or "")
    if repeated_by or is_repetitive(text):
        flags.append({"flag": "repeated", "count": repeated_by})
    return flags


def bad_characters(text: str) -> list[str]:
    """What no text of the portal may hold (R14; proposals, refusals and answers alike):
    control characters other than line breaks and tabs, bidi controls, lone surrogates."""
    return sorted({f"U+{ord(ch):04X}" for ch in text
                   if (unicodedata.category(ch) in ("Cc", "Cs") and ch not in CONTROL_ALLOWED)
                   or ch in BIDI_CONTROLS})
