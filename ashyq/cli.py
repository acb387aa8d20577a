"""The ``ashyq`` command: a thin edge over the library. Each command parses its options,
calls one function and turns that function's small exceptions into messages for people."""
from __future__ import annotations

import logging
from pathlib import Path

import click

from ashyq.clock import ClockError

ROOT = Path(__file__).resolve().parent.parent


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log what is being done.")
def main(verbose: bool) -> None:
    """Ashyq, the Open Budgets portal: build the site, serve the portal."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


@main.command()
@click.option("--content", "content_dir", type=click.Path(file_okay=False, path_type=Path),
              default=ROOT / "content", show_default=True, help="Content folder.")
@click.option("--out", "output", type=click.Path(path_type=Path), default=ROOT / "output",
              show_default=True, help="Where the site goes (a link swapped atomically).")
@click.option("--site-url", default=None, help="Absolute URL of the site, for feeds.")
@click.option("--database", type=click.Path(dir_okay=False, path_type=Path),
              default=ROOT / "var" / "ashyq.sqlite3", show_default=True,
              help="The submission service's database; its public snapshot goes into the site.")
def build(content_dir: Path, output: Path, site_url: str | None, database: Path) -> None:
    """Validate the content and build the whole static site."""
    from generator.build import BuildFailed, build as build_site
    from generator.content import ContentInvalid

    snapshot = export_snapshot(database, database.parent / "snapshot.json")
    try:
        result = build_site(content_dir, output, site_url=site_url, snapshot=snapshot)
    except (ContentInvalid, BuildFailed, ClockError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"built {result.pages} pages for {result.documents} documents "
               f"into {output} in {result.seconds:.1f} s")


def export_snapshot(database: Path, target: Path) -> Path | None:
    """Write the public snapshot of ``database`` to ``target`` (None when there is no database)."""
    import sqlite3

    from submit_api.snapshot import snapshot_json

    if not database.exists():
        return None
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        text = snapshot_json(conn)
    finally:
        conn.close()
    tmp = target.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return target


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--out", "output", type=click.Path(path_type=Path), default=ROOT / "output",
              show_default=True, help="The built site to serve.")
def serve(host: str, port: int, output: Path) -> None:
    """Serve the whole portal: the static site and the API (/api/) on one origin."""
    from werkzeug.serving import run_simple

    from ashyq.web import portal_app

    if not (output / "index.html").exists():
        raise click.ClickException(f"no site at {output}: run 'ashyq build' first")
    click.echo(f"Ashyq at http://{host}:{port}/ (Ctrl+C stops)")
    api_config = {"MANIFEST": str(output / "opendata" / "documents.json")}
    run_simple(host, port, portal_app(output, api_config), threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
