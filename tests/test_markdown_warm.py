"""Markdown rendered ahead into the cache by a process of its own (generator.markdown_warm,
issue 10): the same HTML under the same keys as the render's, so a build that finds it there
renders no Markdown and makes the same files; a cold build starts it and stops it."""
from __future__ import annotations

import datetime as dt
import os

from generator.build import PELICAN_CACHE, build
from tests.helpers import DEMO_TODAY, SAMPLE_CONTENT, copy_tree, site_files


def test_markdown_rendered_ahead_is_what_the_render_would_make(tmp_path, monkeypatch):
    """Every Markdown file of the sample site rendered ahead: the build then reads none of
    them with Pelican's reader (the keys are the render's) and its files are those of a
    build that rendered them itself, byte for byte (the HTML is the render's)."""
    import generator.site
    from generator.markdown_warm import warm

    content = copy_tree(SAMPLE_CONTENT, tmp_path / "content")
    build(content, tmp_path / "itself", cache_dir=tmp_path / "cache-itself", today=DEMO_TODAY,
          workers=1)
    sources = [(path.name.split(".")[-2], path) for path in sorted(content.rglob("*.md"))]
    written = warm(content, tmp_path / "cache-ahead" / PELICAN_CACHE, sources)
    assert written == len(sources) > 20  # no sample file links another file of the site
    read = []
    real = generator.site.SiteGenerator.read_markdown
    monkeypatch.setattr(generator.site.SiteGenerator, "read_markdown",
                        lambda self, source: read.append(source) or real(self, source))
    build(content, tmp_path / "ahead", cache_dir=tmp_path / "cache-ahead", today=DEMO_TODAY,
          workers=1)
    assert read == []
    assert site_files(tmp_path / "ahead") == site_files(tmp_path / "itself")
    # written again, a file already there is left as it is
    assert warm(content, tmp_path / "cache-ahead" / PELICAN_CACHE, sources) == 0


def test_a_page_linking_another_file_is_left_to_the_render(tmp_path):
    """A ``{filename}`` link is resolved against the site by the render only: not ahead."""
    from generator.markdown_warm import warm

    content = copy_tree(SAMPLE_CONTENT, tmp_path / "content")
    source = sorted(content.rglob("*.md"))[0]
    source.write_text(source.read_text(encoding="utf-8")
                      + "\n\n[Другой]({filename}/discussions/other.md)\n", encoding="utf-8")
    assert warm(content, tmp_path / "cache", [(source.name.split(".")[-2], source)]) == 0


def test_a_cold_build_starts_rendering_ahead_and_stops_it(tmp_path, monkeypatch):
    """From WARM_FROM documents a cold build starts the process (here from 1), stops it by the
    end and leaves nothing of it; the files are a build's without it. A rebuild does not."""
    import subprocess

    import generator.markdown_warm as warm_module

    content = copy_tree(SAMPLE_CONTENT, tmp_path / "content")
    build(content, tmp_path / "plain", cache_dir=tmp_path / "cache-plain", today=DEMO_TODAY)
    started = []
    real = warm_module.start_warming

    def start(*args):
        started.append(real(*args))
        return started[-1]
    monkeypatch.setattr(warm_module, "WARM_FROM", 1)
    monkeypatch.setattr(warm_module, "start_warming", start)
    result = build(content, tmp_path / "warmed", cache_dir=tmp_path / "cache-warmed",
                   today=DEMO_TODAY)
    assert len(started) == 1 and started[0].poll() is not None  # stopped, and waited for
    assert not [p for p in os.listdir(result.build_dir.parent) if p.endswith(".warm")]
    assert site_files(tmp_path / "warmed") == site_files(tmp_path / "plain")
    build(content, tmp_path / "warmed", cache_dir=tmp_path / "cache-warmed",
          today=DEMO_TODAY + dt.timedelta(days=1))  # a new day: a rebuild
    assert len(started) == 1 and isinstance(started[0], subprocess.Popen)
