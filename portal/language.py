"""Which language ``/`` sends a browser to, by its Accept-Language: one rule, two readers.

``ashyq serve`` applies :func:`best_language`; nginx applies the maps of :func:`nginx_maps`,
regular expressions that compute the same answer (tests/test_web.py and tests/test_stack.py
check both against one table, ``tests.helpers.ACCEPT_LANGUAGE``). The rule:

* a language's weight is the ``q`` of the first range naming it (``kk``, ``kk-KZ``, ``ru_RU``…;
  no ``q``, or one that is not a valid q-value, counts as 1); a language not named weighs
  less than any named one with ``q`` above 0, and more than one with ``q=0``;
* the heavier of Kazakh and Russian wins; at equal weight, the one named first; Kazakh when
  neither is named, or both are refused (``q=0``) - something has to be served.

So ``ru;q=0, kk`` and ``kk;q=0, en`` never pick the refused language, and
``kk;q=0.1, ru;q=0.9`` picks Russian. Weights are whole numbers, q × 10000 (q-values have at
most three decimals, RFC 9110 12.4.2), so nginx compares them as five-digit strings.
"""
from __future__ import annotations

import re

from ashyq.doctypes import DEFAULT_LANGUAGE, LANGUAGES

NOT_NAMED = 1  # weight of a language the header does not name: above q=0, below q=0.001
FULL = 10000   # q=1
_RANGE = re.compile(r"\s*([a-z]+)(?=[-_;\s]|$)(?:[-_][^;]*)?\s*(.*)$", re.I | re.S)
_Q = re.compile(r";\s*q\s*=\s*(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)\s*(?:;|$)", re.I)


def weights(header: str | None) -> tuple[dict[str, int], str | None]:
    """Each language's weight (q × 10000, :data:`NOT_NAMED` if not named) and the language
    named first, if any."""
    found: dict[str, int] = {}
    first = None
    for item in (header or "").split(","):
        match = _RANGE.match(item)
        lang = match.group(1).lower() if match else None
        if lang not in LANGUAGES or lang in found:
            continue
        first = first or lang
        q = _Q.match(match.group(2))
        if q is None:
            found[lang] = FULL
        else:
            whole, _, decimals = q.group(1).partition(".")
            found[lang] = int(whole) * FULL + int((decimals + "000")[:3]) * 10
    return {lang: found.get(lang, NOT_NAMED) for lang in LANGUAGES}, first


def best_language(header: str | None) -> str:
    """The language of the site ``/`` redirects to for this Accept-Language header."""
    weight, first = weights(header)
    kk, ru = LANGUAGES
    if weight[kk] != weight[ru]:
        return kk if weight[kk] > weight[ru] else ru
    if weight[kk] == 0:
        return DEFAULT_LANGUAGE
    return first or DEFAULT_LANGUAGE


def _first_range(lang: str) -> str:
    """A regular expression for the header up to the first range naming ``lang``, its tag
    and any subtags."""
    named = rf"\s*{lang}(?:[-_;,\s]|$)"
    return rf"^(?:(?!{named})[^,]*,)*\s*{lang}(?=[-_;,\s]|$)(?:[-_][^,;]*)?\s*"


def _heavier(lang: str, first_wins: bool) -> str:
    """A map entry choosing ``lang`` when, in ``K:R``, K (``first_wins``) or R is the larger
    five-digit number: equal up to a digit, then that one's digit is the larger."""
    if first_wins:
        cases = "|".join(f"{d}\\d*:\\1[0-{d - 1}]" for d in range(1, 10))
    else:
        cases = "|".join(f"{d}\\d*:\\1[{d + 1}-9]" for d in range(0, 9))
    return f'    "~^(\\d*)(?:{cases})" {lang};'


def nginx_maps() -> str:
    """The nginx maps that set ``$ashyq_lang`` as :func:`best_language` chooses."""
    kk, ru = LANGUAGES
    end = r"\s*(?:[,;]|$)"
    q = r";\s*q\s*=\s*"
    lines = ["# \"/\" goes to the language the browser weighs most in Accept-Language (q-values",
             "# honoured; a refused language, q=0, never), the one it names first at equal",
             "# weight, Kazakh when it names neither - as `ashyq serve` does (portal/language.py)."]
    for lang in LANGUAGES:
        first = _first_range(lang)
        lines += [f"map $http_accept_language $ashyq_q_{lang} {{",
                  f"    default {NOT_NAMED:05d};",
                  f'    "~*{first}{q}0(?:\\.0{{0,3}})?{end}" 00000;',
                  # 0.ddd -> 0ddd0, 0.dd -> 0dd00, 0.d -> 0d000
                  *(f'    "~*{first}{q}0\\.(?<ashyq_q{n}_{lang}>\\d{{{n}}}){end}" '
                    f'0${{ashyq_q{n}_{lang}}}{"0" * (4 - n)};' for n in (3, 2, 1)),
                  f'    "~*{first}" {FULL};',
                  "}"]
    named = "|".join(LANGUAGES)
    lines += ["map $http_accept_language $ashyq_named_first {",
              '    default "";',
              f'    "~*^(?:[^,]*,)*?\\s*(?<ashyq_first>{named})(?:[-_;,\\s]|$)" $ashyq_first;',
              "}",
              f'map "$ashyq_q_{kk}:$ashyq_q_{ru}:$ashyq_named_first" $ashyq_lang {{',
              f"    default {DEFAULT_LANGUAGE};",
              _heavier(kk, True),
              _heavier(ru, False),
              f'    "~^0+:0+:" {DEFAULT_LANGUAGE};',  # both refused
              *(f'    "~*^(\\d+):\\1:{lang}$" {lang};' for lang in LANGUAGES),  # first named
              "}"]
    return "\n".join(lines) + "\n"
