"""The content format's Markdown: the quick inline pass renders what the stock pass renders.

``generator.mdinline`` skips Python-Markdown's inline patterns on texts none of them can
match (issue 10: the inline pass was over half of a passport's rendering). The HTML must stay
the same byte for byte - on every sample file, on the benchmark's synthetic passports, with
the ``{#id}`` part anchors (R14), and on a text that uses every inline pattern.
"""
from __future__ import annotations

import sys
from pathlib import Path

import markdown
import pytest

from generator import mdinline

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import pelicanconf  # noqa: E402

QUICK = "generator.mdinline:QuickInlineExtension"

# One text per inline pattern (and the block-level things around them), in both languages.
EVERY_PATTERN = """\
Title: Барлық үлгілер
Lang: kk

Мәтін *көлбеу*, **қалың**, ***екеуі***, _астын_ __сызу__, a * b, 2*3*4 және snake_case_name.
Код `x < 1 && y` және ``қос ` белгі``, \\*экрандалған\\* \\` \\\\ және \\[жақша\\].
[Сілтеме](https://budget.example/kk/ "тақырып"), [сілтеме][ref], [ref], ![сурет](/a.png),
![сурет][img], <https://budget.example/kk/> және <info@budget.example>.
Жол үзілісі  
келесі жол; <span class="x">HTML</span> <!-- пікір --> &amp; &#1234; &copy; & жай.
Сілтеме[^1] және қысқартылған ҚР сөзі.

*[ҚР]: Қазақстан Республикасы

[ref]: https://budget.example/ru/
[img]: /b.png
[^1]: Ескерту *мәтіні*.

## Бөлім {#purpose}

| Көрсеткіш | Өлшем | 2025 |
|:---|:---:|---:|
| *Шығыс* | мың теңге | 1 234 567,8 |
| `код` | % | 12,5 |

Термин
:   Анықтама [сілтемемен](https://budget.example/).

<div markdown="1">
Ішкі *Markdown*
</div>

```
fenced *not emphasis*
```
"""


def converter(quick: bool) -> markdown.Markdown:
    configs = dict(pelicanconf.MARKDOWN["extension_configs"])
    if not quick:
        configs.pop(QUICK)
    return markdown.Markdown(extensions=list(configs), extension_configs=configs,
                             output_format=pelicanconf.MARKDOWN["output_format"])


def both(text: str) -> tuple[str, str]:
    return converter(False).convert(text), converter(True).convert(text)


def corpus() -> list[tuple[str, str]]:
    texts = [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8"))
             for p in sorted((ROOT / "content").rglob("*.md"))]
    sys.path.insert(0, str(ROOT / "bench"))
    from synthetic import synthetic_passports

    for passport in synthetic_passports(12, seed=7):
        for lang, body in passport.body.items():
            texts.append((f"synthetic {passport.uid}.{lang}", body))
    texts.append(("every pattern", EVERY_PATTERN))
    return texts


def test_the_quick_pass_is_in_the_site_settings():
    assert QUICK in pelicanconf.MARKDOWN["extension_configs"]
    md = converter(True)
    assert isinstance(md.treeprocessors["inline"], mdinline.QuickInlineProcessor)
    assert not isinstance(converter(False).treeprocessors["inline"], mdinline.QuickInlineProcessor)


@pytest.mark.parametrize("name,text", corpus(), ids=lambda v: v if len(v) < 60 else None)
def test_same_html_as_the_stock_inline_pass(name, text):
    stock, quick = both(text)
    assert quick == stock, name


def test_every_pattern_still_applies():
    """The comparison above would pass if neither converter ran the patterns."""
    html = converter(True).convert(EVERY_PATTERN)
    for fragment in ("<em>көлбеу</em>", "<strong>қалың</strong>", "<code>x &lt; 1 &amp;&amp; y</code>",
                     '<a href="https://budget.example/kk/" title="тақырып">Сілтеме</a>',
                     '<img alt="сурет" src="/a.png"', "<br>", '<span class="x">HTML</span>',
                     "&copy;", '<abbr title="Қазақстан Республикасы">ҚР</abbr>',
                     'href="#fn:1"', '<h2 id="purpose">', 'class="num"',
                     "<code>fenced *not emphasis*\n</code>", '<a href="&#109;&#97;'):
        assert fragment in html, fragment


def test_plain_text_skips_the_patterns(monkeypatch):
    """A text with no character a pattern needs is not searched at all; one with one is."""
    searched = []
    original = markdown.treeprocessors.InlineProcessor._InlineProcessor__applyPattern

    def spy(self, pattern, data, *args):
        searched.append(data)
        return original(self, pattern, data, *args)

    monkeypatch.setattr(markdown.treeprocessors.InlineProcessor,
                        "_InlineProcessor__applyPattern", spy)
    converter(True).convert("Бюджеттік бағдарламаның мақсаты: 1 234,5 мың теңге.\n\n"
                            "Екінші *абзац*.")
    assert any("*абзац*" in text for text in searched)
    assert not any("мақсаты" in text for text in searched)


def test_an_unknown_pattern_turns_the_shortcut_off():
    assert mdinline.may_match(["link", "em_strong"]).search("a [b") is not None
    assert mdinline.may_match(["linebreak"]).search("a  \nb") is not None
    assert mdinline.may_match(["linebreak"]).search("a \nb") is None
    assert mdinline.may_match(["link", "someone_elses_pattern"]) is None

    md = converter(True)
    md.inlinePatterns.register(markdown.inlinepatterns.SimpleTagInlineProcessor(
        r"(\+\+)(.+?)\+\+", "ins"), "ins", 65)
    assert "<ins>қосылған</ins>" in md.convert("Мәтін ++қосылған++ сөз.")


def test_the_site_reads_markdown_with_one_kept_instance(tmp_path):
    """issue 10: the reader keeps one ``Markdown`` and resets it between files; every file
    of the corpus, each read after a file that defines footnotes, abbreviations and
    references, comes out as Pelican's own reader makes it (a new instance per file)."""
    from pelican.readers import MarkdownReader, Readers
    from pelican.settings import DEFAULT_CONFIG

    import generator.site  # noqa: F401 - registers the reader (its plugin's register())
    from generator.mdreader import KeptMarkdownReader

    settings = {**DEFAULT_CONFIG, "MARKDOWN": {k: (dict(v) if isinstance(v, dict) else v)
                                              for k, v in pelicanconf.MARKDOWN.items()},
                "READERS": dict(pelicanconf.READERS)}
    generator.site.register()
    assert isinstance(Readers(settings).readers["md"], KeptMarkdownReader)
    kept, fresh = KeptMarkdownReader(settings), MarkdownReader(settings)
    first = tmp_path / "every.md"
    first.write_text(EVERY_PATTERN + "\nSummary: Қысқаша *мазмұны*\n", encoding="utf-8")
    count = 0
    for name, text in corpus():
        source = tmp_path / "one.md"
        source.write_text(text, encoding="utf-8")
        for path in (first, source):
            assert kept.read(str(path)) == fresh.read(str(path)), name
        count += 1
    assert count > 20
    source.write_text("Title: ҚР\n\nҚР сөзі[^1] мен [ref].\n", encoding="utf-8")
    kept.read(str(first))  # defines the abbreviation, the footnote and the reference
    assert kept.read(str(source))[0] == "<p>ҚР сөзі[^1] мен [ref].</p>"
