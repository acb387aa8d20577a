"""What every page shows alike - the menu, the footer, the theme's file names - is made once a
build (generator/chrome.py, issue 10); each page still shows its own language and section,
and a rewritten theme record is read again."""
from __future__ import annotations

import re
from pathlib import Path

import jinja2

from generator.assets import serve_theme
from generator.chrome import kept_theme_url, once_per_language
from generator.site import NAV_SECTIONS

MENU_LINK = re.compile(r'<li><a href="(/(kk|ru)/([^/"]+)/)"( aria-current="page")?>')
FOOTER = re.compile(r'<footer class="site">.*?</footer>', re.S)
MENU = re.compile(r'<nav class="wrap menu".*?</nav>', re.S)


def test_each_page_marks_its_own_section_in_its_own_language(sample_site):
    pages = [p for lang in ("kk", "ru") for p in (sample_site / lang).rglob("*.html")
             if "pagefind" not in p.parts]
    footers = {}
    marked = set()
    for page in pages:
        lang, *rest = page.relative_to(sample_site).parts
        html = page.read_text(encoding="utf-8")
        links = MENU_LINK.findall(MENU.search(html).group(0))
        assert [section for _, _, section, _ in links] == list(NAV_SECTIONS), page
        assert {link_lang for _, link_lang, _, _ in links} == {lang}, page
        here = rest[0] if len(rest) > 1 else None  # kk/index.html: no section
        current = [section for _, _, section, mark in links if mark]
        assert current == ([here] if here in NAV_SECTIONS else []), page
        marked.update(current)
        footer = FOOTER.search(html).group(0)
        assert f'href="/{lang}/about/privacy/"' in footer, page
        footers.setdefault(lang, footer)
        assert footer == footers[lang], page
    assert footers["kk"] != footers["ru"]  # (translated)
    assert {"discussions", "press", "administrators", "compliance"} <= marked


def test_a_part_made_once_is_made_for_each_language_and_value():
    source = ("{% macro part(value) %}{{ lang }}:{{ value }}:{{ made.append(1) or made|length }}"
              "{% endmacro %}{{ once_per_language(part, value) }}")
    envs = [jinja2.Environment(autoescape=True) for _ in range(2)]
    for env in envs:
        env.globals["once_per_language"] = once_per_language
    template = envs[0].from_string(source)
    made: list = []
    pages = [template.render(lang=lang, value=value, made=made)
             for lang, value in (("kk", 1), ("kk", 1), ("ru", 1), ("kk", 2), ("ru", 1))]
    assert pages == ["kk:1:1", "kk:1:1", "ru:1:2", "kk:2:3", "ru:1:2"]
    # another environment (the next build's) makes its own
    assert envs[1].from_string(source).render(lang="kk", value=1, made=made) == "kk:1:4"


def test_a_theme_record_written_again_is_read_again(tmp_path):
    site = tmp_path / "site"
    (site / "theme" / "css").mkdir(parents=True)
    style = site / "theme" / "css" / "site.css"
    env = jinja2.Environment(autoescape=True)
    env.filters["theme_url"] = kept_theme_url
    page = env.from_string('{{ "css/site.css"|theme_url }}')
    style.write_text("a{color:red}", encoding="utf-8")
    # no record yet: the plain name, not kept
    assert page.render(OUTPUT_PATH=str(site)) == "/theme/css/site.css"
    first = serve_theme(site)["css/site.css"]
    assert page.render(OUTPUT_PATH=str(site)) == f"/theme/{first}"
    style.write_text("a{color:blue}", encoding="utf-8")
    (site / "theme" / first).unlink()  # (as a build directory made again has it not)
    second = serve_theme(site)["css/site.css"]
    assert second != first
    assert page.render(OUTPUT_PATH=str(site)) == f"/theme/{second}"
    assert page.render(OUTPUT_PATH=str(Path(tmp_path / "none"))) == "/theme/css/site.css"
