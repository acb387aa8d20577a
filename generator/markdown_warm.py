"""Markdown rendered ahead into the cache by a process of its own (issue 10).

For the first part of a cold build's rendering one process works alone: the site's lists,
feeds and checks read the whole index, and a second process reading it would copy it (the
1 GB target). The documents' Markdown needs no index. This process - started, not forked,
once the content is read, so it shares no memory with the build - renders it into the Markdown
cache (:mod:`generator.markdown_cache`), the last documents first, while the lists are written
and then beside the render processes, which find the documents they come to already there.

It writes what the render would: the HTML of the site's own Markdown reader with the site's
settings, under the same key - the HTML of a page's content, unless it links another file of
the site (``{filename}`` and the like, which only the render can resolve): those are left to the
render. It stops before its next file once told (``stop_warming``) and is never waited for.
"""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

log = logging.getLogger(__name__)

#: Documents from which a cold build renders Markdown ahead (below, the lists take no time).
WARM_FROM = 2000


def start_warming(content_dir: Path, cache_dir: Path, sources: list[tuple[str, Path]],
                  work: Path) -> subprocess.Popen:
    """Start rendering ``sources`` (language and file, in this order) into the Markdown cache
    under ``cache_dir`` (the build's Pelican cache); ``work``: a new folder for the list and
    the stop mark."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "sources").write_text("".join(f"{lang}\t{path}\n" for lang, path in sources),
                                  encoding="utf-8")
    from generator.apart import module_process

    command, root, env = module_process("generator.markdown_warm", str(content_dir),
                                        str(cache_dir), str(work), str(os.getpid()))
    return subprocess.Popen(command, cwd=root, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL)


def warm_ahead(index, build_dir: Path, cache_dir: Path, cold: bool):  # noqa: ANN001, ANN201
    """For a cold build of WARM_FROM documents or more: start rendering their Markdown ahead
    (the last documents first, both languages); returns what stops it (else does nothing)."""
    if not cold or len(index.documents) < WARM_FROM:
        return lambda: None
    from ashyq.doctypes import LANGUAGES

    sources = [(lang, doc.sources[lang]) for lang in reversed(LANGUAGES)
               for doc in reversed(list(index.documents.values())) if lang in doc.sources]
    work = build_dir.with_name(build_dir.name + ".warm")
    process = start_warming(index.content_dir, cache_dir, sources, work)
    return lambda: stop_warming(process, work)


def stop_warming(process: subprocess.Popen, work: Path) -> None:
    """Tell the process to stop after its file (killed if it has not within a few seconds)
    and remove its folder."""
    (work / "stop").touch()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    shutil.rmtree(work, ignore_errors=True)


def warm(content_dir: Path, cache_dir: Path, sources: list[tuple[str, Path]],
         stop: Path | None = None, parent: int | None = None) -> int:
    """Render ``sources`` (language and file) into the Markdown cache as the site's render
    would; returns how many entries were written. Stops once ``stop`` exists or the
    ``parent`` process is gone."""
    import generator.pelican_logging  # noqa: F401 - before Pelican's first import
    from pelican.contents import Content
    from pelican.settings import read_settings

    from ashyq.doctypes import LANGUAGES
    from ashyq.files import atomic_write
    from generator.markdown_cache import MarkdownCache
    from generator.mdreader import KeptMarkdownReader

    root = Path(__file__).resolve().parent.parent
    settings = read_settings(str(root / "pelicanconf.py"), override={
        "PATH": str(Path(content_dir).resolve()), "CACHE_PATH": str(cache_dir)})
    reader = KeptMarkdownReader(settings)  # (sets the settings' extensions, as the site's)
    # each language site's own cache: the i18n_subsites plugin puts a translation's in a
    # folder of its language's name under the main site's
    caches = {lang: MarkdownCache(Path(cache_dir, *([] if lang == settings["DEFAULT_LANG"]
                                                    else [lang]), "markdown"),
                                  settings["MARKDOWN"]) for lang in LANGUAGES}
    # the links the render resolves against the site (Pelican's own pattern)
    links = Content._get_intrasite_link_regex(types.SimpleNamespace(settings=settings))
    written = 0
    for lang, source in sources:
        if (stop is not None and stop.exists()) or (parent and os.getppid() != parent):
            break
        entry = caches[lang].entry(source)
        if entry.exists():
            continue
        html, _metadata = reader.read(str(source))
        if links.search(html) is None:
            atomic_write(entry, html)
            written += 1
    return written


def main(content_dir: str, cache_dir: str, work: str, parent: str) -> int:
    folder = Path(work)
    sources = [(lang, Path(path)) for lang, _, path in (
        line.partition("\t") for line in (folder / "sources").read_text("utf-8").splitlines())]
    try:
        warm(Path(content_dir), Path(cache_dir), sources, folder / "stop", int(parent))
    except Exception:  # noqa: BLE001 - the render renders what is not there; say why here
        log.exception("rendering Markdown ahead stopped")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
