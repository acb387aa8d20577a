"""The ashyq command: thin edges, clear errors."""
from click.testing import CliRunner

from portal.cli import main
from tests.helpers import write_document


def test_build_command_builds_and_reports(small_content, tmp_path):
    result = CliRunner().invoke(main, ["build", "--content", str(small_content),
                                       "--out", str(tmp_path / "site"),
                                       "--database", str(tmp_path / "none.sqlite3")])
    assert result.exit_code == 0, result.output
    assert "built" in result.output and (tmp_path / "site/kk/index.html").exists()


def test_build_command_prints_every_problem_with_rule(small_content, tmp_path):
    write_document(small_content, "BP-2026-225-040", drop=("head", "posted"))
    result = CliRunner().invoke(main, ["build", "--content", str(small_content),
                                       "--out", str(tmp_path / "site"),
                                       "--database", str(tmp_path / "none.sqlite3")])
    assert result.exit_code == 1
    assert "BP-2026-225-040.kk.md: head: required for a passport, missing [R9]" in result.output
    assert "posted" in result.output and not (tmp_path / "site").exists()


def test_bad_pinned_clock_is_a_clear_error(small_content, tmp_path, monkeypatch):
    monkeypatch.setenv("ASHYQ_NOW", "tomorrow")
    result = CliRunner().invoke(main, ["build", "--content", str(small_content),
                                       "--out", str(tmp_path / "site"),
                                       "--database", str(tmp_path / "none.sqlite3")])
    assert result.exit_code == 1 and "ASHYQ_NOW='tomorrow' is not an ISO date-time" in result.output


def test_serve_refuses_without_a_site(tmp_path):
    result = CliRunner().invoke(main, ["serve", "--out", str(tmp_path / "none")])
    assert result.exit_code == 1 and "run 'ashyq build' first" in result.output


def test_every_command_is_documented_in_the_readme():
    import click

    from tests.helpers import ROOT
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, command in main.commands.items():
        subcommands = command.commands if isinstance(command, click.Group) else {}
        for sub in subcommands or [None]:
            words = f"ashyq {name}" if sub is None else f"{name} {sub}"
            assert words in readme, f"README does not document '{words}'"


def test_a_file_not_in_utf8_is_a_problem_not_a_traceback(small_content, tmp_path):
    """An editor's passport saved in Windows-1251, and content data files in it: each named
    with what to do, the build refused, nothing served."""
    from tests.helpers import document_text

    path = small_content / "discussions/BP-2026-225-041/BP-2026-225-041.ru.md"
    write_document(small_content, "BP-2026-225-041")
    path.write_bytes(document_text("BP-2026-225-041", "ru").encode("cp1251"))
    (small_content / "decrees.toml").write_bytes("# Указы\n".encode("cp1251"))
    (small_content / "administrators.toml").write_bytes(
        (small_content / "administrators.toml").read_bytes().decode("utf-8").encode("utf-16"))

    def build() -> object:
        return CliRunner().invoke(main, ["build", "--content", str(small_content),
                                         "--out", str(tmp_path / "site"),
                                         "--database", str(tmp_path / "none.sqlite3")])
    result = build()
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "decrees.toml: not UTF-8 text (byte 2): save the file in the UTF-8 encoding" \
        in result.output
    (small_content / "decrees.toml").unlink()
    result = build()
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "administrators.toml: -: not valid TOML: not UTF-8 text (byte 0)" in result.output
    assert "BP-2026-225-041.ru.md: encoding: not UTF-8 text (byte " in result.output
    assert "save the file in the UTF-8 encoding [R3]" in result.output
    assert "has no ru version" not in result.output  # its kk twin is not blamed for it
    assert not (tmp_path / "site").exists()
