"""UI strings: every msgid used by templates and code is translated in kk and ru (R3)."""
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from ashyq.i18n import CATALOG_DIR, date_long
from tests.helpers import ROOT

METHODS = [("generator/**.py", "python"), ("ashyq/**.py", "python"), ("submit_api/**.py", "python"),
           ("themes/**/templates/**.html", "jinja2"), ("submit_api/templates/**.html", "jinja2")]


def used_msgids() -> set[str]:
    found = set()
    for _, _, message, _, _ in extract_from_dir(
            str(ROOT), METHODS, options_map={"themes/**/templates/**.html":
                                             {"extensions": "jinja2.ext.i18n"},
                                             "submit_api/templates/**.html":
                                             {"extensions": "jinja2.ext.i18n"}}):
        found.add(message if isinstance(message, str) else message[0])
    return found


def load(lang: str):
    with (CATALOG_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=lang)


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_ui_string_is_translated(lang):
    catalog = load(lang)
    used = used_msgids()
    assert len(used) > 50
    untranslated = sorted(m for m in used if not (catalog.get(m) and catalog.get(m).string))
    assert not untranslated, f"run tools/update_catalogs.py and translate: {untranslated}"


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_placeholders_survive_translation(lang):
    import re
    catalog = load(lang)
    for message in catalog:
        if message.id and message.string:
            assert sorted(re.findall(r"%\(\w+\)s", message.id)) == \
                sorted(re.findall(r"%\(\w+\)s", message.string)), message.id


def test_dates_are_written_by_babel_in_each_language():
    import datetime as dt
    day = dt.date(2026, 3, 2)
    assert date_long(day, "kk").replace("\u202f", " ") == "2026 ж. 2 наурыз"
    assert date_long(day, "ru").replace("\u202f", " ") == "2 марта 2026 г."


def test_catalog_dir_exists():
    assert Path(CATALOG_DIR).is_dir()


def i18n_environment():
    """A Jinja environment with the i18n extension and autoescaping, as the site's."""
    from jinja2 import Environment

    return Environment(extensions=["jinja2.ext.i18n"], autoescape=True)


def install(env, locale_dir, lang: str) -> None:
    """The site's compiled catalog of ``lang``, installed as i18n_subsites installs it."""
    from ashyq.i18n import compile_catalogs, translations

    env.install_gettext_translations(translations(str(compile_catalogs(locale_dir)), lang),
                                     newstyle=True)


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_memoized_gettext_gives_what_jinja_gives(lang, tmp_path):
    """issue 10: the site's templates translate each plain string once per language; the
    result (escaped, %-formatted, with or without variables) is the stock one."""
    from jinja2 import pass_context

    from generator.site import memoized_gettext

    env = i18n_environment()
    install(env, tmp_path, lang)
    source = ('{{ _("Search") }}|{{ _("Search") }}|{{ _("100%% <b>") }}|'
              '{{ _("Must be 3 digits, not %(value)s.", value="<i>") }}')
    stock = env.from_string(source).render()
    calls = []
    original = env.globals["gettext"]

    def counting(context, string, **variables):
        calls.append(string)
        return original(context, string, **variables)

    env.globals["gettext"] = memoized_gettext(pass_context(counting))
    template = env.from_string(source)
    assert template.render() == stock == template.render()
    assert "Search" not in stock  # translated
    assert "100% <b>" in stock and "&lt;i&gt;" in stock  # "%%" formatted; variables escaped
    assert calls.count("Search") == 1  # then from memory, in both renders
    assert calls.count("Must be 3 digits, not %(value)s.") == 2  # with variables: every time


def test_the_site_memoizes_what_i18n_subsites_installs(tmp_path):
    """i18n_subsites installs gettext after the generators are made, and may install it
    again: the site's render wraps whatever is installed, once."""
    from generator.site import memoize_gettext

    env = i18n_environment()
    memoize_gettext(env)  # nothing installed yet: nothing to wrap, no error
    install(env, tmp_path, "ru")
    stock = env.globals["gettext"]
    memoize_gettext(env)
    memoize_gettext(env)
    assert env.globals["gettext"].memoizes is stock  # wrapped once
    # ``_`` calls it directly, not through the extension's alias (one context call fewer)
    assert env.globals["_"] is env.globals["gettext"]
    template = env.from_string('{{ _("Search") }}')
    assert template.render() == "Поиск"
    install(env, tmp_path, "kk")
    memoize_gettext(env)
    assert env.globals["_"] is env.globals["gettext"] and env.globals["_"].memoizes is not stock
    assert template.render() == "Іздеу"  # the new one, wrapped (a template made before too)


def test_counts_are_written_as_each_language_writes_them_and_remembered():
    """Babel's digit groups (no-break spaces, a decimal comma); pages ask for the same few
    counts tens of thousands of times, so they are remembered - by value and type."""
    from ashyq.i18n import number

    assert number(1234567, "ru") == number(1234567, "kk") == "1\xa0234\xa0567"
    assert number(2.5, "ru") == "2,5"
    number.cache_clear()
    assert number(7, "ru") == number(7, "ru") == "7"
    assert number.cache_info().hits == 1
    assert number(7.0, "ru") == "7" and number.cache_info().misses == 2  # (another type)
