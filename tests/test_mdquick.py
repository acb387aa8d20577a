"""issue 10: the content format's common case rendered without Python-Markdown, the same bytes.

``generator.mdquick`` renders what nearly every passport uses (metadata, headings with their
``{#id}`` part anchors, paragraphs, tight lists, pipe tables, ``**strong**``) and gives up on
anything else. Whenever it answers, its HTML and metadata must be Python-Markdown's with the
site's settings - on every sample file, on the benchmark's synthetic passports, and on
generated documents mixing what it renders with near misses it must leave alone.
"""
from __future__ import annotations

import random
import re
import sys
from pathlib import Path

import markdown
import pytest

from generator import mdquick

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import pelicanconf  # noqa: E402


@pytest.fixture(scope="module")
def stock():
    """Python-Markdown with the site's settings: ``(html, meta)`` of a text."""
    configs = pelicanconf.MARKDOWN["extension_configs"]
    md = markdown.Markdown(extensions=list(configs), extension_configs=configs,
                           output_format=pelicanconf.MARKDOWN["output_format"])

    def convert(text: str) -> tuple[str, dict]:
        md.reset()
        return md.convert(text), md.Meta
    return convert


def sample_files() -> list[Path]:
    return sorted((ROOT / "content").rglob("*.md"))


def test_every_sample_file_renders_as_python_markdown_renders_it(stock):
    quick = 0
    for path in sample_files():
        text = path.read_text(encoding="utf-8")
        answer = mdquick.render(text)
        if answer is not None:
            assert answer == stock(text), path
            quick += 1
    # the fast path is on for the passports and reports (not a renderer that always gives up)
    passports = [p for p in sample_files() if p.parent.parent.name == "discussions"]
    assert sum(mdquick.render(p.read_text(encoding="utf-8")) is not None
               for p in passports) >= len(passports) - 2
    assert quick >= len(sample_files()) * 3 // 4


def test_the_synthetic_passports_all_render_quickly_and_the_same(stock):
    sys.path.insert(0, str(ROOT / "bench"))
    from synthetic import synthetic_passports

    for passport in synthetic_passports(40, seed=11):
        for lang, body in passport.body.items():
            answer = mdquick.render(body)
            assert answer is not None, (passport.uid, lang)
            assert answer == stock(body), (passport.uid, lang)


def test_the_site_gets_the_html_pelicans_reader_gives(tmp_path):
    """What a page shows (``SiteGenerator.read_html``, rendered here when it can be, not
    cached) is what Pelican's reader and page make of the file with Python-Markdown
    (``read_markdown``, reached only when this module gives up) - also for a file saved with
    a byte-order mark and Windows line ends."""
    import types

    from pelican.readers import Readers
    from pelican.settings import read_settings

    import generator.site
    from generator.site import SiteGenerator

    generator.site.register()
    settings = read_settings(str(ROOT / "pelicanconf.py"), override={"PATH": str(tmp_path)})
    site = types.SimpleNamespace(readers=Readers(settings), path=str(tmp_path), context={},
                                 markdown=types.SimpleNamespace(get=lambda s, r: r(s)))
    site.read_markdown = lambda source: SiteGenerator.read_markdown(site, source)
    texts = [p.read_text(encoding="utf-8") for p in sample_files()]
    texts.append(("\ufeff" + texts[0]).replace("\n", "\r\n"))
    quick = 0
    for number, text in enumerate(texts):
        source = tmp_path / f"{number}.md"
        source.write_bytes(text.encode("utf-8"))
        html = SiteGenerator.read_html(site, source)
        assert html == SiteGenerator.read_markdown(site, source), number
        quick += mdquick.render_file(source) is not None
    assert quick >= len(texts) * 3 // 4
    assert mdquick.render_file(source) is not None  # the BOM and CRLF copy too


def test_part_anchors_and_tables_come_out_as_the_site_expects():
    """R14: each structural part is an ``h2`` with its ``{#id}``; a table is in its scrolling
    region named by the heading above it, numbers whole, columns aligned by class."""
    html, meta = mdquick.render(
        "Title: Т\nLang: ru\n\n## Цель {#purpose}\n\nТекст > 1.\n\n"
        "## Расходы {#expenses}\n\n| Расходы | 2027 |\n|---|---:|\n| **Итого** | **1 234 567** |\n")
    assert meta == {"title": ["Т"], "lang": ["ru"]}
    assert '<h2 id="purpose">Цель</h2>\n<p>Текст &gt; 1.</p>' in html
    assert '<div aria-label="Расходы" class="scroll" role="region" tabindex="0"><table>' in html
    assert '<td class="num"><strong>1\u00a0234\u00a0567</strong></td>' in html


@pytest.mark.parametrize("text", [
    "", "Title: x", "Title: x\n\n\n", "\n\n## A", "a", "---\n---\nx", "...\nx",
    "Title: x\n...\nbody", "Key : not meta\n\n# H {#a}\n\ntext", "a\n\n\n\n- b\n\n\n| a | b |"
    "\n|---|---|\n| 1 |  |", "- **a**\n- b **c** d\n\nтекст\n\n1. x\n2. y",
    "## **Жалпы** шығыс {#all}",
])
def test_edge_cases_render_as_python_markdown_renders_them(stock, text):
    answer = mdquick.render(text)
    assert answer is not None, text
    assert answer == stock(text)


@pytest.mark.parametrize("text", [
    "[ссылка](https://example.org)", "*курсив*", "a <b>c</b>", "&amp;", "`код`", "a_b_c",
    "- a\n\n- b", "- a\n    - b", "    код", "Текст\n---", "> цитата", "Термин\n: определение",
    "## Заголовок {: .class}", "Текст  \nперенос", "** не жирный**", "- a\n\n1. b", "a\tb",
    "| a |\n|---|",
])
def test_what_it_does_not_render_is_left_to_python_markdown(text):
    assert mdquick.render("Title: x\n\n" + text + "\n") is None


def test_another_python_markdown_version_is_left_to_python_markdown(monkeypatch):
    text = "Title: x\n\n## A {#a}\n"
    assert mdquick.render(text) is not None
    monkeypatch.setattr(markdown, "__version__", "4.0.0")
    assert mdquick.render(text) is None


# -- generated documents ------------------------------------------------------------------
# What the module renders, and near misses of it (``ODD``): a document draws the near misses
# with a small chance each, so most documents hold none or one.
WORDS = ("бюджет", "программа", "1 234 567", "12,5", "%", "тыс. тенге", "«Образование»",
         "a > b", '"кавычки"', "2027–2029", "-5", "1.5", "x\u00a0y", "№ 319-III", "**Итого**",
         "**1 234 567**", "**Код:**", "**a**b**c**", "a: b", "2027.")
ODD_WORDS = ("** бос**", "**бос **", "****", "*курсив*", "a ** b", "***три***", "**", "2*3",
             "[a](b)", "&", "<i>", "a_b", "`c`", "\\*", "#5", "x|y")
ODD_STARTS = ("2027. год", "1. пункт", "# не заголовок", "- дефис", "* звезда", "+ плюс",
              "> цитата", ": определение", "| труба", "---", "===", "* * *", "~~~",
              "\u00a0пробел", " отступ", "{: .cls}", "#тег", "    код")
ODD_ENDS = (" хвост ", "пробел\u00a0", "  ", " {#id}", " {: .c}", " |", " ##")
HEADINGS = ("## Цель {#purpose}", "### Мақсат", "## **Жалпы** шығыс {#expenses}",
            "#### Четыре {#a-1}", "###### Шесть", "## Два  пробела  {#two}",
            "# Первый {#first}", "##### Пятый", "## a > b \"c\" {#q}")
ODD_HEADINGS = ("## Закрыт ##", "##Слитно", "####### Семь", "## Текст {#id} ещё",
                "## Класс {: .c}", "## {#empty}", "## x {#a_b}", "#",
                "##  Два {#two}")
ALIGNS = ("---", ":---", "---:", ":---:", ":-:", " --- ", "-")
ODD_ALIGNS = ("::", "", "--- x", "===")
CELLS = ("Показатель", "1 234 567", "**12 039 100**", "", "%", "78,0", "a > b",
         "**Итого** 5 000", "5 000 **руб**", "  пробелы  ", "# не заголовок", "1 000\u00a0000",
         "−1 500", "+2 300,5 %", '"q"', "- дефис", "1. один", "**1 000** 2 000")
ODD_CELLS = ("x*y", "{: .c}", "**a", "[a]")


class Draw:
    """Draws the parts of one document; ``odd`` is each part's chance of a near miss."""

    def __init__(self, rng: random.Random, odd: float):
        self.rng, self.odd = rng, odd

    def pick(self, usual: tuple, odd: tuple = ()) -> str:
        return self.rng.choice(odd if odd and self.rng.random() < self.odd else usual)

    def words(self, n: int) -> str:
        return " ".join(self.pick(WORDS, ODD_WORDS) for _ in range(n))

    def line(self) -> str:
        text = self.words(self.rng.randint(1, 6))
        if self.rng.random() < self.odd:
            text = self.pick(ODD_STARTS) + " " + text
        if self.rng.random() < self.odd:
            text += self.pick(ODD_ENDS)
        return text

    def block(self) -> str:
        rng, kind = self.rng, self.rng.random()
        if kind < 0.2:
            if rng.random() < 0.5:
                return self.pick(HEADINGS, ODD_HEADINGS)
            return "#" * rng.randint(1, 4) + " " + self.words(2) + (
                f" {{#{rng.choice(('a', 'b-2', 'part'))}}}" if rng.random() < 0.5 else "")
        if kind < 0.45:
            marker = self.pick(("- ", "1. ", "2. ", "10. "), ("* ", "+ ", "-  ", "    ", ""))
            return "\n".join((marker if rng.random() > self.odd else self.pick(("- ", "1. ")))
                             + self.line() for _ in range(rng.randint(1, 4)))
        if kind < 0.7:
            width = rng.randint(2, 5) if rng.random() > self.odd else 1
            rows = [[self.words(1) for _ in range(width)],
                    [self.pick(ALIGNS, ODD_ALIGNS) for _ in range(width)]]
            rows += [[self.pick(CELLS, ODD_CELLS) for _ in range(width + (
                rng.random() < self.odd / 2))] for _ in range(rng.randint(
                    1 if rng.random() > self.odd else 0, 4))]
            lines = ["| " + " | ".join(row) + " |" for row in rows]
            if rng.random() < self.odd:
                lines[rng.randrange(len(lines))] = lines[0].rstrip("|")
            return "\n".join(("|" + line.strip(" |") + "|") if rng.random() < 0.2 else line
                             for line in lines)
        return "\n".join(self.line() for _ in range(rng.randint(1, 3)))

    def document(self) -> str:
        meta = self.pick(("Title: Т\nLang: kk\n", "title: a\nsummary: **s**\n",
                          "---\nuid: X-1\n---\n"),
                         ("", "Key: v\nbody line\n", "Title: t\n   \n", "a: b\n    more\n"))
        seps = ("\n\n", "\n\n", "\n\n\n")
        blocks = [self.block() for _ in range(self.rng.randint(1, 8))]
        body = blocks[0] + "".join((self.pick(seps, ("\n",))) + b for b in blocks[1:])
        return meta + ("\n" if meta and self.rng.random() > self.odd else "") + body + (
            "\n" if self.rng.random() < 0.8 else "")


def test_generated_documents_render_as_python_markdown_or_not_at_all(stock):
    rng = random.Random(176)
    quick = fallback = 0
    for number in range(3000):
        text = Draw(rng, rng.choice((0, 0.02, 0.05, 0.1))).document()
        answer = mdquick.render(text)
        if answer is None:
            fallback += 1
            continue
        assert answer == stock(text), (number, text)
        quick += 1
    # both sides were exercised: many documents rendered here, many left to Python-Markdown
    assert quick > 600 and fallback > 600, (quick, fallback)


def test_the_body_check_is_the_one_pattern_it_replaced():
    """``plain_body`` (a character class, ``***`` and each line's edges) answers as the one
    pattern anchored at every line's edges did, on random lines of the characters that
    matter: spaces of every kind at the edges, stars, and the characters left to Markdown."""
    pattern = re.compile(r"[<&\\`_\[\]\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029]|\*\*\*"
                         r"|^[^\S\n]|[^\S\n]$", re.M)
    alphabet = ["а", "1", " ", "\u00a0", "\u202f", "\u3000", "*", "**", "|", "<", "_", "\x0c"]
    rng = random.Random(20261206)
    answers = set()
    for _ in range(20000):
        lines = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4)))
                 for _ in range(rng.randint(0, 3))]
        expected = pattern.search("\n".join(lines)) is None
        assert mdquick.plain_body(lines) is expected, lines
        answers.add(expected)
    assert answers == {True, False}
