"""``ashyq preview`` (issue 10): a real build served on a loopback port, a real edit of the
content tree, the page rebuilt and the browser told to reload; a content problem is shown on
the page while the last good site stays served."""
from __future__ import annotations

import datetime as dt
import json
import threading
import time
import urllib.request

import pytest

from generator import preview as preview_module
from tests.helpers import write_document

TODAY = dt.date(2025, 3, 5)
DOC = "BP-2026-225-001"


@pytest.fixture
def live(small_content, tmp_path, monkeypatch):
    monkeypatch.setattr(preview_module, "POLL", 0.05)
    monkeypatch.setattr(preview_module, "QUIET", 0.05)
    started = threading.Event()
    holder = {}

    def ready(preview, server):
        holder.update(preview=preview, server=server)
        started.set()
    thread = threading.Thread(target=preview_module.serve, daemon=True, kwargs=dict(
        content_dir=small_content, output=tmp_path / "preview", cache_dir=tmp_path / "cache",
        port=0, today=TODAY, ready=ready))
    thread.start()
    assert started.wait(300)
    yield f"http://127.0.0.1:{holder['server'].server_port}", holder["preview"]
    holder["server"].shutdown()
    thread.join(timeout=10)


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode("utf-8")


def state(base: str, lang: str = "ru") -> dict:
    return json.loads(get(f"{base}{preview_module.STATE_PATH}?lang={lang}"))


def wait_for_version(base: str, after: int) -> dict:
    deadline = time.monotonic() + 300  # a bound for a stuck watcher, not a speed check
    while time.monotonic() < deadline:
        now = state(base)
        if now["version"] > after:
            return now
        time.sleep(0.05)
    raise AssertionError("the preview never rebuilt")


def test_an_edit_is_rebuilt_and_the_page_reloads(live, small_content, tmp_path):
    base, preview = live
    page = get(f"{base}/ru/discussions/{DOC}/")
    assert f'<script src="{preview_module.SCRIPT_PATH}" defer></script></head>' in page
    built = (tmp_path / "preview" / f"ru/discussions/{DOC}/index.html").read_text(encoding="utf-8")
    assert preview_module.SCRIPT_PATH not in built  # the built site itself stays clean
    assert "text/javascript" in urllib.request.urlopen(
        base + preview_module.SCRIPT_PATH).headers["Content-Type"]
    first = state(base)
    assert first["problems"] == []

    path = small_content / "discussions" / DOC / f"{DOC}.ru.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Вводный текст.", "Новый вводный текст."),
                    encoding="utf-8")
    second = wait_for_version(base, first["version"])
    assert second["problems"] == []
    assert "Новый вводный текст." in get(f"{base}/ru/discussions/{DOC}/")


def test_a_problem_is_shown_and_the_last_good_site_stays(live, small_content):
    base, preview = live
    first = state(base)
    write_document(small_content, "BP-2026-225-044", drop=("head",))  # R-checked: no head
    broken = wait_for_version(base, first["version"])
    assert any("BP-2026-225-044" in p and "head" in p for p in broken["problems"])
    assert broken["title"] and broken["title"] != state(base, "kk")["title"]  # ru and kk
    assert "BP-2026-225-001" in get(f"{base}/ru/discussions/")  # still served


def test_a_change_saved_before_the_watcher_looks_is_built(small_content, tmp_path, monkeypatch):
    """The tree is read before the first build: an edit saved while it runs, or before the
    watcher's thread first looks (a loaded machine), is built next - it was missed, and the
    preview showed the old page until the next save."""
    monkeypatch.setattr(preview_module, "POLL", 0.05)
    monkeypatch.setattr(preview_module, "QUIET", 0.05)
    preview = preview_module.Preview(small_content, tmp_path / "preview", tmp_path / "cache",
                                     today=TODAY)
    seen = preview_module.tree_state(*preview.watched)  # as serve() does, before building
    write_document(small_content, "BP-2026-225-045", posted="2025-02-25")
    built = threading.Event()
    monkeypatch.setattr(preview, "rebuild", built.set)
    watcher = threading.Thread(target=preview.watch, args=(seen,), daemon=True)
    watcher.start()
    try:
        assert built.wait(60)
    finally:
        preview.stop.set()
        watcher.join(timeout=10)
