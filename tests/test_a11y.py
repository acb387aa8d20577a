"""Accessibility: axe-core (the engine, bundled by axe-playwright-python) in real Chromium on
every page type in both languages: no serious or critical violation."""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from portal.web import portal_app
from tests.helpers import CHROMIUM, PAGE_TYPES

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")



@pytest.fixture(scope="module")
def served_sample(sample_site):
    server = make_server("127.0.0.1", 0, portal_app(sample_site, {"TESTING": True}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_no_serious_accessibility_violations(served_sample, page, lang):
    from axe_playwright_python.sync_playwright import Axe
    axe = Axe()
    problems = []
    for path in [*PAGE_TYPES, "../opendata/"]:
        page.goto(f"{served_sample}/{lang}/{path}")
        results = axe.run(page)
        for violation in results.response["violations"]:
            if violation["impact"] in ("serious", "critical"):
                nodes = [n["target"] for n in violation["nodes"][:3]]
                problems.append(f"/{lang}/{path}: {violation['id']} ({violation['impact']}): {nodes}")
    assert not problems, "\n".join(problems)


def test_the_checker_catches_a_planted_violation(page):
    from axe_playwright_python.sync_playwright import Axe
    page.set_content('<html lang="kk"><head><title>t</title></head><body><main>'
                     '<img src="x.png"></main></body></html>')
    ids = {v["id"] for v in Axe().run(page).response["violations"]}
    assert "image-alt" in ids
