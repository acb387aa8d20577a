"""Pelican settings for the Ashyq site. Settings only: the build (generator/build.py) fills in
paths and the content index; the plugins hold the logic."""
AUTHOR = "Ashyq"
SITENAME = "Ashyq"
SITEURL = ""
ASHYQ_SITE_URL = "http://127.0.0.1:8000"  # absolute links in feeds
ASHYQ_SNAPSHOT = None  # the public snapshot (JSON) of the submission service, if any
ASHYQ_REPORTS = None  # the folder of frozen final reports (R17), if any
from ashyq.settings import SETTINGS as _SETTINGS  # noqa: E402 - one source of the defaults

NCALAYER_URL = _SETTINGS["NCALAYER_URL"].default  # NCALayer on the citizen's own computer (R13)
ASHYQ_OPERATOR_EMAIL = _SETTINGS["OPERATOR_EMAIL"].default  # on the footer pages (issue 14)
# Also sent as a header by `ashyq serve`; no inline script or style anywhere on the site.
# Pages add "connect-src 'self' NCALAYER_URL" so the sign-in script may reach NCALayer.
# The search page alone needs 'wasm-unsafe-eval' (Pagefind's WebAssembly): `ashyq serve` sends
# it in that page's header (generator.search.search_policy); the page carries no <meta> policy.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                           "img-src 'self' data:; base-uri 'none'; form-action 'self'; "
                           "object-src 'none'")
PATH = "content"
OUTPUT_PATH = "output"
THEME = "themes/ashyq"
TIMEZONE = "Asia/Almaty"
DEFAULT_LANG = "kk"

# Set explicitly: installed pelican.plugins.* packages would load themselves otherwise.
PLUGINS = ["pelican.plugins.i18n_subsites", "generator.site", "generator.budget_pages",
           "generator.search"]
I18N_SUBSITES = {"ru": {"OUTPUT_PATH": OUTPUT_PATH}}  # both languages under one root: /kk/, /ru/
I18N_TEMPLATES_LANG = "en"  # template msgids are English; kk and ru are both catalogs
I18N_GETTEXT_LOCALEDIR = "var/cache/locale"
# auto_reload off: each build makes its environment anew, and a check of every template's
# mtime at each page was 2 % of a cold build's rendering (issue 10).
JINJA_ENVIRONMENT = {"extensions": ["jinja2.ext.i18n"], "trim_blocks": True, "lstrip_blocks": True,
                     "autoescape": True, "auto_reload": False}

# docutils has no kk locale; only Markdown is content here.
READERS = {"rst": None, "htm": None, "html": None}
MARKDOWN = {
    # Table columns are aligned by attribute, then by class (generator.mdtables): an inline
    # style would break the CSP.
    "extension_configs": {
        "markdown.extensions.extra": {"markdown.extensions.tables": {"use_align_attribute": True}},
        "markdown.extensions.meta": {},
        "generator.mdtables:TableExtension": {},
        # The stock inline pass, skipping texts no inline pattern can match (same HTML).
        "generator.mdinline:QuickInlineExtension": {},
    },
    "output_format": "html5",
}

# The SiteGenerator reads and writes everything; Pelican's blog machinery stays idle.
ARTICLE_PATHS: list[str] = []
PAGE_PATHS: list[str] = []
STATIC_PATHS: list[str] = []
DIRECT_TEMPLATES: list[str] = []
ARTICLE_SAVE_AS = PAGE_SAVE_AS = DRAFT_SAVE_AS = ""
CATEGORY_SAVE_AS = TAG_SAVE_AS = AUTHOR_SAVE_AS = ""
CATEGORIES_SAVE_AS = TAGS_SAVE_AS = AUTHORS_SAVE_AS = ARCHIVES_SAVE_AS = ""
YEAR_ARCHIVE_SAVE_AS = MONTH_ARCHIVE_SAVE_AS = DAY_ARCHIVE_SAVE_AS = ""
FEED_ALL_ATOM = FEED_ALL_RSS = CATEGORY_FEED_ATOM = TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = AUTHOR_FEED_RSS = None
CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
CACHE_PATH = "var/cache/pelican"
THEME_STATIC_DIR = "theme"
# Templates name theme files through it: content-hashed names, cached a year (ashyq/theme.py),
# each looked up once a build; the layout's menu and footer are made once a language
# (generator/chrome.py).
from generator.chrome import kept_theme_url as _theme_url, once_per_language as _once  # noqa: E402

JINJA_FILTERS = {"theme_url": _theme_url}
JINJA_GLOBALS = {"once_per_language": _once}
DELETE_OUTPUT_DIRECTORY = False
