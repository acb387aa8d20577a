"""What every page of a language shows alike - the menu, the footer - made once (issue 10).

The layout's header and footer were a fifth of a passport page's template time (70 of
345 us; 70,000 pages at 20,000 documents): a dozen translated strings and a macro call for
each of the menu's sections, on every page, for the same bytes.
"""
from __future__ import annotations

from weakref import WeakKeyDictionary

from jinja2 import pass_context
from markupsafe import Markup

from ashyq.theme import served_names, theme_url

#: each template environment's made parts (a build makes its environments anew: a changed
#: template or catalog is never answered from an earlier build's)
_made: "WeakKeyDictionary[object, dict[tuple, Markup]]" = WeakKeyDictionary()


@pass_context
def once_per_language(context, macro, *values) -> Markup:
    """``macro(*values)``, made once for each language and ``values`` in each template
    environment. The macro reads nothing of the page but its language (``lang``) and
    ``values`` (the menu: the page's section, not its path); macros so made are named apart
    (the name keys them)."""
    made = _made.setdefault(context.environment, {})
    key = (context.get("lang"), macro.name, values)
    try:
        return made[key]
    except KeyError:
        made[key] = text = macro(*values)
        return text


#: each template environment's theme file names, by site and name (``kept_theme_url``)
_theme_urls: "WeakKeyDictionary[object, dict[tuple, str]]" = WeakKeyDictionary()


@pass_context
def kept_theme_url(context, name: str) -> str:
    """The build's ``theme_url`` filter (``ashyq.theme``), each name looked up once for each
    environment and site: a build's record of names is written once, before its pages are
    rendered (``generator.assets.serve_theme``, which forgets what was kept). The service's
    filter reads the record each time: a swap changes it. A name looked up while the site
    has no record is not kept (7 stat calls a page, 25 us of a passport's 304)."""
    kept = _theme_urls.setdefault(context.environment, {})
    key = (context.get("OUTPUT_PATH"), name)
    try:
        return kept[key]
    except KeyError:
        answer = theme_url(context, name)
        if served_names(key[0]) is not None:
            kept[key] = answer
        return answer


def forget_theme_urls() -> None:
    """Forget the names :func:`kept_theme_url` kept (a site's record was written anew)."""
    _theme_urls.clear()
