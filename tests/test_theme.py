"""Issue 12: pages name theme files by the hash of their served bytes (ashyq/theme.py), so a
changed script or style is a new name, and the old name is referenced nowhere; the office,
which shares the theme, names them as the served build does."""
from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest

from ashyq import theme
from generator.build import build
from tests.helpers import ROOT

THEME_REF = re.compile(r'(?:href|src)="(/theme/[^"]*)"')


@pytest.fixture
def theme_copy(tmp_path) -> Path:
    copy = tmp_path / "theme"
    shutil.copytree(ROOT / "themes" / "ashyq", copy)
    return copy


def run(content: Path, out: Path, cache: Path, theme_dir: Path) -> Path:
    build(content, out, cache_dir=cache, site_url="https://budget.example",
          settings={"THEME": str(theme_dir)}, search="wait")
    return out.resolve()


def references(site: Path) -> dict[str, set[str]]:
    """Every page's theme addresses."""
    return {p.relative_to(site).as_posix(): set(THEME_REF.findall(p.read_text(encoding="utf-8")))
            for p in site.rglob("*.html")}


def check_served(site: Path, pages: dict[str, set[str]]) -> None:
    """Every page names a theme file; each address is hashed, exists, and hashes its bytes."""
    assert pages and all(pages.values()), [p for p, refs in pages.items() if not refs]
    for ref in set().union(*pages.values()):
        assert theme.is_hashed(ref), ref
        data = (site / ref.lstrip("/")).read_bytes()
        assert hashlib.sha256(data).hexdigest()[:10] in ref


def test_a_changed_theme_file_gets_a_new_name_on_every_page(small_content, theme_copy, tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    site = run(small_content, out, cache, theme_copy)
    pages = references(site)
    check_served(site, pages)
    names = theme.served_names(site)
    assert {"css/site.css", "favicon.svg", "js/participate.js", "js/site.js"} <= set(names)
    old = f"/theme/{names['js/participate.js']}"
    using = {page for page, refs in pages.items() if old in refs}
    assert "ru/discussions/BP-2026-225-001/index.html" in using
    # a comment is not served (generator.assets): same bytes served, same name
    script = theme_copy / "static" / "js" / "site.js"
    script.write_text("// a note for the theme's editors\n" + script.read_text(encoding="utf-8"),
                      encoding="utf-8")
    site = run(small_content, out, cache, theme_copy)
    assert theme.served_names(site) == names
    # a change of what is served: a new name, on every page that named the old one
    participate = theme_copy / "static" / "js" / "participate.js"
    participate.write_text(participate.read_text(encoding="utf-8") + "window.ashyqTheme = 12;\n",
                           encoding="utf-8")
    site = run(small_content, out, cache, theme_copy)
    now = references(site)
    check_served(site, now)
    new = f"/theme/{theme.served_names(site)['js/participate.js']}"
    assert new != old and not (site / old.lstrip("/")).exists()
    assert {page for page, refs in now.items() if new in refs} == using
    assert not any(old in refs for refs in now.values())
    assert {k: v for k, v in theme.served_names(site).items() if k != "js/participate.js"} == \
        {k: v for k, v in names.items() if k != "js/participate.js"}
    for page in now:  # the plain names are still served, but no page names them
        html = (site / page).read_text(encoding="utf-8")
        assert '"/theme/js/participate.js"' not in html and '"/theme/css/site.css"' not in html


def test_theme_addresses_and_unknown_names(tmp_path):
    site = tmp_path / "site"
    (site / "theme" / "js").mkdir(parents=True)
    (site / "theme" / "js" / "a.min.js").write_text("a();\n")
    assert theme.url(site, "js/a.min.js") == "/theme/js/a.min.js"  # no record: the plain name
    names = theme.publish(site)
    digest = hashlib.sha256(b"a();\n").hexdigest()[:10]
    assert names == {"js/a.min.js": f"js/a.min.{digest}.js"}
    assert theme.url(site, "js/a.min.js") == f"/theme/js/a.min.{digest}.js"
    assert (site / "theme" / names["js/a.min.js"]).read_bytes() == b"a();\n"
    with pytest.raises(theme.UnknownThemeFile):  # a template's typo fails the build
        theme.url(site, "js/missing.js")
    assert theme.is_hashed(f"/theme/js/a.min.{digest}.js")
    assert not theme.is_hashed("/theme/js/a.min.js") and not theme.is_hashed(
        f"/kk/js/a.{digest}.js")
    (site / "theme" / "js" / f"b.{digest}.js").write_text("b();\n")
    with pytest.raises(ValueError, match="already looks hashed"):
        theme.publish(site)


def test_the_office_names_the_served_builds_theme_files(app_factory, tmp_path):
    site = (tmp_path / "out").resolve()  # the build app_factory made
    client = app_factory(OUTPUT=str(tmp_path / "out")).test_client()
    html = client.get("/office/").get_data(as_text=True)
    refs = set(THEME_REF.findall(html))
    names = theme.served_names(site)
    assert {f"/theme/{names[n]}" for n in ("css/site.css", "js/api.js", "js/ncalayer.js")} <= refs
    check_served(site, {"office": refs})
